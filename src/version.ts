/** The package version, stamped into container labels and `--version`. Kept in sync by a unit test. */
export const VERSION = '0.1.0';
