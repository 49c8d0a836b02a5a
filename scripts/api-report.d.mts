/** The API report of each entry point of the package in `packageDir` (see api-report.mjs). */
export function apiReport(packageDir: string): Record<string, string>;
