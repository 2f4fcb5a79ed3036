/**
 * What a value is, for an error that names what it got instead: `null`, a number itself (`NaN`,
 * `-1`), else its `typeof`.
 */
export function valueKind(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'number' ? String(value) : typeof value;
}
