// Jest's sandbox hands out a structuredClone whose results belong to another realm;
// oidc-provider then rejects every client JWKS as not a plain object
// (jestjs/jest#14074). Rebuild plain objects and arrays in this realm.
const original = globalThis.structuredClone;

function rebuild(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebuild);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value)?.constructor?.name === 'Object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rebuild(v)]));
  }
  return value;
}

globalThis.structuredClone = ((value: unknown, options?: StructuredSerializeOptions) =>
  rebuild(original(value, options))) as typeof structuredClone;
