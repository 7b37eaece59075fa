import { Matches } from 'class-validator';

/** Seed 004: a slug is lowercase letters, digits and hyphens (not at either end), at most 100 characters. */
export const SLUG_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The validator of a slug field in an input. */
export const IsSlug = () => Matches(SLUG_PATTERN, { message: 'must be lowercase letters, digits and hyphens' });

/**
 * A slug made from a name ('Ünïcode Name!' -> 'unicode-name'); may be empty when the name has no
 * letters or digits, so callers check it.
 */
export function slugFrom(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
}
