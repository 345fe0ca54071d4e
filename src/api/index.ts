// Public API of src/api: resource types, the resource registry and discovery/OpenAPI documents,
// Table printing, defaulting and ObjectMeta validation. Everything here is pure.
export type * from './types.ts';
export * from './resources.ts';
export * from './discovery.ts';
export * from './openapi.ts';
export * from './tables.ts';
export * from './defaults.ts';
export * from './meta-validation.ts';
export * from './jsonpath.ts';
export { fieldDocs } from './column-docs.ts';
