import { fileVerdicts, filesTable, summarizeFiles, type FileRun } from '../../bench/files-report';

/**
 * `npm run bench:files`'s bookkeeping, without running it: the medians over the runs, the ratios
 * to the physical limit (the slower of sha256sum and cp), and the verdicts on the issue's targets.
 */

const transfer = (mbPerSecond: number, peakRssMb = 150) => ({
  ms: 1000,
  mbPerSecond,
  peakRssMb,
  serverCores: 0.5,
  clientCores: 0.4,
});

const run = (
  sizeMb: number,
  index: number,
  figures: { sha256sum: number; cp: number; upload: number; download: number; rss?: number },
): FileRun => ({
  sizeMb,
  run: index,
  limit: {
    sha256sum: figures.sha256sum,
    openssl: figures.sha256sum * 4,
    cp: figures.cp,
    cpAndFsync: figures.cp / 2,
    limit: Math.min(figures.sha256sum, figures.cp),
    strictLimit: Math.min(figures.sha256sum * 4, figures.cp),
  },
  upload: transfer(figures.upload, figures.rss),
  createDocumentMs: 20,
  download: transfer(figures.download),
});

describe('bench:files report', () => {
  const runs = [
    run(200, 0, { sha256sum: 100, cp: 900, upload: 60, download: 80 }),
    run(200, 1, { sha256sum: 120, cp: 150, upload: 70, download: 90 }),
    run(200, 2, { sha256sum: 80, cp: 1000, upload: 20, download: 10 }),
    run(1, 0, { sha256sum: 10, cp: 20, upload: 5, download: 12 }),
  ];

  it('gives each size the medians of its runs, and the ratios of the medians to the median limit', () => {
    const [large, small] = summarizeFiles(runs, [200, 1]);
    expect(large).toMatchObject({
      sizeMb: 200,
      sha256sumMbPerSecond: 100,
      cpMbPerSecond: 900,
      limitMbPerSecond: 100,
      strictLimitMbPerSecond: 320,
      uploadMbPerSecond: 60,
      uploadRatio: 0.6,
      uploadStrictRatio: 0.19,
      downloadMbPerSecond: 80,
      downloadRatio: 0.8,
      runsUploadMbPerSecond: [60, 70, 20],
      runsLimitMbPerSecond: [100, 120, 80],
    });
    expect(small).toMatchObject({ sizeMb: 1, limitMbPerSecond: 10, uploadRatio: 0.5, downloadRatio: 1.2 });
  });

  it('judges the targets on the largest file: upload 0.5x, download 0.7x, RSS under 200 MB', () => {
    const met = fileVerdicts(summarizeFiles(runs, [1, 200]));
    expect(met).toEqual({
      'upload >= 0.5 x limit (200 MB)': true,
      'download >= 0.7 x limit (200 MB)': true,
      'server RSS < 200 MB during a 200 MB upload': true,
    });
    const slow = [
      run(200, 0, { sha256sum: 100, cp: 900, upload: 49, download: 69, rss: 200 }),
      run(1, 0, { sha256sum: 10, cp: 20, upload: 10, download: 10 }),
    ];
    expect(Object.values(fileVerdicts(summarizeFiles(slow, [1, 200])))).toEqual([false, false, false]);
  });

  it('prints one row per size under a header and a rule', () => {
    const lines = filesTable(summarizeFiles(runs, [1, 200])).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^size\s+sha256sum MB\/s\s+openssl MB\/s\s+cp MB\/s\s+limit MB\/s\s+upload MB\/s/);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    expect(lines[3]).toMatch(
      /^200 MB\s+100\s+400\s+900\s+100\s+60\s+0\.60 \(0\.19\)\s+80\s+0\.80 \(0\.25\)\s+150\s+150/,
    );
  });
});
