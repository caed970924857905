/**
 * Lambda event filtering as the DynamoDB event source applies it, for the part of the pattern
 * language the exchange uses: nested objects, lists of exact values, `prefix`, `anything-but`,
 * `exists`. Tests run the stack's `RUN_EVENT_FILTER_PATTERNS` over real stream records with it,
 * so a pattern that would keep events away from the events function fails a test rather than a
 * deployment. A record is passed when any pattern matches (patterns are OR-ed).
 */
type Pattern = { readonly [key: string]: unknown };

function matchesValue(rule: unknown, value: unknown): boolean {
  if (rule !== null && typeof rule === 'object') {
    const r = rule as Record<string, unknown>;
    if ('prefix' in r) return typeof value === 'string' && value.startsWith(String(r['prefix']));
    if ('anything-but' in r) {
      const excluded = r['anything-but'];
      return value !== undefined && !(Array.isArray(excluded) ? excluded : [excluded]).includes(value);
    }
    if ('exists' in r) return (value !== undefined) === r['exists'];
    throw new Error(`filter rule not supported by this matcher: ${JSON.stringify(rule)}`);
  }
  return value === rule;
}

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event !== null && typeof event === 'object' ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) {
      const values = Array.isArray(value) ? value : [value];
      return rule.some((r) => values.some((v) => matchesValue(r, v)));
    }
    if (rule !== null && typeof rule === 'object') return value !== undefined && matchesPattern(rule as Pattern, value);
    throw new Error(`filter pattern value must be a list or an object at ${key}`);
  });
}

export function passesFilters(patterns: readonly Pattern[], event: unknown): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, event));
}
