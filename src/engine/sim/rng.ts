// Moved to util/rng.ts (machine/, ft/ and sim/ all use it). Kept for importers not yet switched.
export { Rng, type RngState } from '../util/rng';
