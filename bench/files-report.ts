import { alignColumns, median } from './report';

/**
 * What `npm run bench:files` (files.ts) makes of its measurements: medians over the runs, the
 * ratios to the physical limit, the printed table and the verdicts on the targets.
 */

/** The targets: upload and download against the physical limit, and the server's RSS during the largest upload. */
export const FILE_TARGETS = { upload: 0.5, download: 0.7, rssMb: 200 } as const;

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The physical limit on one file, in MB/s, measured beside one run's transfers. */
export interface PhysicalLimit {
  sha256sum: number;
  /** `openssl dgst -sha256`: the CPU's SHA instructions, as Node's hashing uses them. */
  openssl: number;
  cp: number;
  /** cp, then fsync of the copy (what the local store does before it answers). */
  cpAndFsync: number;
  /** The limit: the slower of sha256sum and cp. */
  limit: number;
  /** The slower of openssl and cp. */
  strictLimit: number;
}

/** One upload or one download. */
export interface Transfer {
  ms: number;
  mbPerSecond: number;
  /** The server's peak resident memory during the transfer. */
  peakRssMb: number;
  /** The server's CPU time over the wall time (1 = one core busy all along). */
  serverCores: number;
  /** The same for the benchmark process, the client. */
  clientCores: number;
}

export interface FileRun {
  sizeMb: number;
  run: number;
  limit: PhysicalLimit;
  upload: Transfer;
  createDocumentMs: number;
  download: Transfer;
}

export interface FileSummary {
  sizeMb: number;
  sha256sumMbPerSecond: number;
  opensslMbPerSecond: number;
  cpMbPerSecond: number;
  cpAndFsyncMbPerSecond: number;
  limitMbPerSecond: number;
  strictLimitMbPerSecond: number;
  uploadMbPerSecond: number;
  /** Median upload MB/s over the median limit. */
  uploadRatio: number;
  uploadStrictRatio: number;
  uploadServerPeakRssMb: number;
  uploadServerCores: number;
  uploadClientCores: number;
  createDocumentMs: number;
  downloadMbPerSecond: number;
  downloadRatio: number;
  downloadStrictRatio: number;
  downloadServerPeakRssMb: number;
  downloadServerCores: number;
  downloadClientCores: number;
  runsUploadMbPerSecond: number[];
  runsDownloadMbPerSecond: number[];
  runsLimitMbPerSecond: number[];
}

/** Per file size, in the order of `sizesMb`: the medians of every figure over the runs. */
export function summarizeFiles(runs: readonly FileRun[], sizesMb: readonly number[]): FileSummary[] {
  return sizesMb.map((sizeMb) => {
    const ofSize = runs.filter((m) => m.sizeMb === sizeMb);
    const of = (pick: (m: FileRun) => number) => round(median(ofSize.map(pick)), 2);
    const limit = of((m) => m.limit.limit);
    const strictLimit = of((m) => m.limit.strictLimit);
    const uploadMbPerSecond = of((m) => m.upload.mbPerSecond);
    const downloadMbPerSecond = of((m) => m.download.mbPerSecond);
    return {
      sizeMb,
      sha256sumMbPerSecond: of((m) => m.limit.sha256sum),
      opensslMbPerSecond: of((m) => m.limit.openssl),
      cpMbPerSecond: of((m) => m.limit.cp),
      cpAndFsyncMbPerSecond: of((m) => m.limit.cpAndFsync),
      limitMbPerSecond: limit,
      strictLimitMbPerSecond: strictLimit,
      uploadMbPerSecond,
      uploadRatio: round(uploadMbPerSecond / limit, 2),
      uploadStrictRatio: round(uploadMbPerSecond / strictLimit, 2),
      uploadServerPeakRssMb: of((m) => m.upload.peakRssMb),
      uploadServerCores: of((m) => m.upload.serverCores),
      uploadClientCores: of((m) => m.upload.clientCores),
      createDocumentMs: of((m) => m.createDocumentMs),
      downloadMbPerSecond,
      downloadRatio: round(downloadMbPerSecond / limit, 2),
      downloadStrictRatio: round(downloadMbPerSecond / strictLimit, 2),
      downloadServerPeakRssMb: of((m) => m.download.peakRssMb),
      downloadServerCores: of((m) => m.download.serverCores),
      downloadClientCores: of((m) => m.download.clientCores),
      runsUploadMbPerSecond: ofSize.map((m) => m.upload.mbPerSecond),
      runsDownloadMbPerSecond: ofSize.map((m) => m.download.mbPerSecond),
      runsLimitMbPerSecond: ofSize.map((m) => m.limit.limit),
    };
  });
}

/** The printed table: one row per file size, the limit beside the transfers. */
export function filesTable(results: readonly FileSummary[]): string {
  return alignColumns([
    [
      'size',
      'sha256sum MB/s',
      'openssl MB/s',
      'cp MB/s',
      'limit MB/s',
      'upload MB/s',
      'x limit (strict)',
      'download MB/s',
      'x limit (strict)',
      'RSS MB up',
      'RSS MB down',
      'server cores up/down',
    ],
    ...results.map((r) => [
      `${r.sizeMb} MB`,
      String(r.sha256sumMbPerSecond),
      String(r.opensslMbPerSecond),
      String(r.cpMbPerSecond),
      String(r.limitMbPerSecond),
      String(r.uploadMbPerSecond),
      `${r.uploadRatio.toFixed(2)} (${r.uploadStrictRatio.toFixed(2)})`,
      String(r.downloadMbPerSecond),
      `${r.downloadRatio.toFixed(2)} (${r.downloadStrictRatio.toFixed(2)})`,
      String(r.uploadServerPeakRssMb),
      String(r.downloadServerPeakRssMb),
      `${r.uploadServerCores} / ${r.downloadServerCores}`,
    ]),
  ]);
}

/**
 * The targets, judged on the largest file's medians (the 1 MB figures measure the
 * requests' fixed costs and the tools' start, not throughput): target → met.
 */
export function fileVerdicts(results: readonly FileSummary[]): Record<string, boolean> {
  const largest = results.reduce((a, b) => (b.sizeMb > a.sizeMb ? b : a));
  return {
    [`upload >= ${FILE_TARGETS.upload} x limit (${largest.sizeMb} MB)`]: largest.uploadRatio >= FILE_TARGETS.upload,
    [`download >= ${FILE_TARGETS.download} x limit (${largest.sizeMb} MB)`]:
      largest.downloadRatio >= FILE_TARGETS.download,
    [`server RSS < ${FILE_TARGETS.rssMb} MB during a ${largest.sizeMb} MB upload`]:
      largest.uploadServerPeakRssMb < FILE_TARGETS.rssMb,
  };
}
