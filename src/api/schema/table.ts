/**
 * Shape of the generated field table (see types.generated.ts and tools/extract-go-types.ts).
 *
 * A type reference is one of:
 *   - a leaf: `string`, `integer`, `number`, `boolean`, or `any` (free-form: nothing below it is checked);
 *   - a struct type name from `types`, e.g. `core.v1.PodSpec`;
 *   - `[]X`: a list of X;
 *   - `map[string]X`: an object whose keys are free and whose values are X.
 */
export type TypeRef = string;

export interface StructType {
  /** JSON field name → type reference. */
  readonly fields: Readonly<Record<string, TypeRef>>;
}

export interface SchemaTable {
  /** Where the field names came from (upstream version). */
  readonly source: string;
  /** `group/version/kind` (core group is '', `*` matches anything) → root struct type name. */
  readonly kinds: Readonly<Record<string, string>>;
  readonly types: Readonly<Record<string, StructType>>;
}
