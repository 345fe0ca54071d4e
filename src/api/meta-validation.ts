// ObjectMeta validation as kube-apiserver runs it on create and update
// (apimachinery pkg/api/validation/objectmeta.go + generic.go, v0.32.4), returning FieldErrors with
// upstream's exact texts. The string validators (DNS names, qualified names, label values, port
// names) live in machinery/validation.ts and are re-exported here for other kinds' validation.
// Pure: no I/O.
import { fieldErr, FieldErrorType, type FieldError } from '../machinery/status.ts';
import {
  isDNS1123Label, isDNS1123Subdomain, isDNS1035Label, isQualifiedName, isValidLabelValue,
} from '../machinery/validation.ts';
import type { KubeObject, ObjectMeta, OwnerReference, ManagedFieldsEntry, CustomResourceDefinition } from './types.ts';
import type { NameRule, ResourceInfo } from './resources.ts';

export {
  isDNS1123Label, isDNS1123Subdomain, isDNS1035Label, isQualifiedName, isValidLabelValue, isValidPortName, isValidPortNum,
  isInRange, isWildcardDNS1123Subdomain, isConfigMapKey, isValidPercent, regexError, maxLenError, emptyError,
  inclusiveRangeError, dns1123LabelErrMsg, dns1123LabelFmt, dns1123SubdomainErrMsg, dns1123SubdomainFmt,
  dns1035LabelErrMsg, dns1035LabelFmt, qualifiedNameErrMsg, qualifiedNameFmt, labelValueErrMsg, labelValueFmt,
} from '../machinery/validation.ts';

/** Total bytes of annotation keys and values allowed (256 KiB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export const FIELD_IMMUTABLE = 'field is immutable';

/**
 * upstream's maskTrailingDash for generateName: replaces the last two characters with `a` when
 * the name ends in `-` (a quirk kept as is: `ab-` is checked as `aa`).
 */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** A ValidateNameFunc: messages for a name (prefix = it is a generateName that gets a suffix). */
export type NameValidator = (name: string, prefix: boolean) => string[];

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
const nameAny: NameValidator = () => [];

export function nameValidatorFor(rule: NameRule): NameValidator {
  switch (rule) {
    case 'DNS1123Subdomain': return nameIsDNSSubdomain;
    case 'DNS1123Label': return nameIsDNSLabel;
    case 'DNS1035Label': return nameIsDNS1035Label;
    case 'Any': return nameAny;
  }
}

/** ValidateLabels: keys are qualified names, values label values; errors on the map's path. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(fieldErr.invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(fieldErr.invalid(path, v, msg));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names (case-insensitive), total size ≤ 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  const enc = new TextEncoder();
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(fieldErr.invalid(path, k, msg));
    total += enc.encode(k).length + enc.encode(v).length;
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldErr.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function apiVersionParts(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  if (i < 0) return { group: '', version: apiVersion };
  // schema.ParseGroupVersion: more than one slash is invalid → empty version.
  if (apiVersion.indexOf('/', i + 1) >= 0) return { group: '', version: '' };
  return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** ValidateOwnerReferences: required fields, Event not allowed as owner, at most one controller. */
export function validateOwnerReferences(refs: OwnerReference[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const gv = apiVersionParts(ref.apiVersion ?? '');
    if ((gv.version ?? '') === '') errs.push(fieldErr.invalid(`${path}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if ((ref.kind ?? '') === '') errs.push(fieldErr.invalid(`${path}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if ((ref.name ?? '') === '') errs.push(fieldErr.invalid(`${path}.name`, ref.name ?? '', 'name must not be empty'));
    if ((ref.uid ?? '') === '') errs.push(fieldErr.invalid(`${path}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && ref.kind === 'Event') {
      errs.push(fieldErr.invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController !== '') {
        errs.push(fieldErr.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`));
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

/** ValidateFinalizers: qualified names; orphan and foregroundDeletion together are invalid. */
export function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const fins = finalizers ?? [];
  for (const f of fins) for (const msg of isQualifiedName(f)) errs.push(fieldErr.invalid(path, f, msg));
  if (fins.includes('orphan') && fins.includes('foregroundDeletion')) {
    errs.push(fieldErr.invalid(path, fins, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** ValidateManagedFields: operation Apply|Update, fieldsType FieldsV1, manager ≤ 128, subresource ≤ 256. */
export function validateManagedFields(entries: ManagedFieldsEntry[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (entries ?? []).forEach((e, i) => {
    const p = `${path}[${i}]`;
    if (e.operation !== 'Apply' && e.operation !== 'Update') errs.push(fieldErr.invalid(`${p}.operation`, e.operation ?? '', 'must be `Apply` or `Update`'));
    if (e.fieldsType !== undefined && e.fieldsType !== '' && e.fieldsType !== 'FieldsV1') errs.push(fieldErr.invalid(`${p}.fieldsType`, e.fieldsType, 'must be `FieldsV1`'));
    if ((e.manager ?? '').length > 128) errs.push(fieldErr.tooLong(`${p}.manager`, 128));
    if ((e.subresource ?? '').length > 256) errs.push(fieldErr.tooLong(`${p}.subresource`, 256));
  });
  return errs;
}

export interface MetaValidationOptions {
  /** Field path of the metadata (`metadata` for top-level objects, `spec.template.metadata`, ...). */
  path?: string;
  /**
   * Updates: report an empty metadata.resourceVersion (`must be specified for an update`). Off by
   * default because the registry fills it from the stored object for unconditional updates first.
   */
  requireResourceVersion?: boolean;
}

export interface ObjectMetaRules {
  /** Namespaced kinds require metadata.namespace; cluster-scoped kinds forbid it. */
  namespaced: boolean;
  nameRule: NameRule;
}

/**
 * ObjectMeta validation with upstream's texts. Without `old` (create): ValidateObjectMetaAccessor —
 * generateName and name against the kind's name rule, namespace required (DNS-1123 label) or
 * forbidden, generation ≥ 0, labels, annotations, owner references, finalizers, managed fields.
 * With `old` (update): ValidateObjectMetaAccessorUpdate (see validateObjectMetaUpdate).
 * A ResourceInfo is a valid `rules` argument.
 */
export function validateObjectMeta(rules: ObjectMetaRules, meta: ObjectMeta, old?: ObjectMeta, opts: MetaValidationOptions = {}): FieldError[] {
  const path = opts.path ?? 'metadata';
  if (old !== undefined) return validateObjectMetaUpdate(meta, old, opts);
  const errs: FieldError[] = [];
  const nameFn = nameValidatorFor(rules.nameRule);
  const generateName = meta.generateName ?? '';
  if (generateName !== '') for (const msg of nameFn(generateName, true)) errs.push(fieldErr.invalid(`${path}.generateName`, generateName, msg));
  const name = meta.name ?? '';
  if (name === '') errs.push(fieldErr.required(`${path}.name`, 'name or generateName is required'));
  else for (const msg of nameFn(name, false)) errs.push(fieldErr.invalid(`${path}.name`, name, msg));
  const ns = meta.namespace ?? '';
  if (rules.namespaced) {
    if (ns === '') errs.push(fieldErr.required(`${path}.namespace`));
    else for (const msg of nameIsDNSLabel(ns, false)) errs.push(fieldErr.invalid(`${path}.namespace`, ns, msg));
  } else if (ns !== '') {
    errs.push(fieldErr.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  if ((meta.generation ?? 0) < 0) errs.push(fieldErr.invalid(`${path}.generation`, meta.generation, 'must be greater than or equal to 0'));
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(meta.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(meta.finalizers, `${path}.finalizers`));
  errs.push(...validateManagedFields(meta.managedFields, `${path}.managedFields`));
  return errs;
}

/** Go's time.Time String() for an RFC 3339 timestamp, as immutable-field errors print it. */
function goTime(ts: string): string {
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return ts;
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

function immutable(path: string, newVal: unknown, oldVal: unknown, render: (v: unknown) => FieldError): FieldError[] {
  const norm = (v: unknown) => (v === undefined || v === '' ? null : v);
  return JSON.stringify(norm(newVal)) === JSON.stringify(norm(oldVal)) ? [] : [{ ...render(newVal), field: path }];
}

/**
 * ValidateObjectMetaAccessorUpdate: no new finalizers while deleting, resourceVersion present
 * (only with `requireResourceVersion`), generation not decremented, name/namespace/uid/creation and deletion fields immutable, plus
 * the create-time checks of labels, annotations, owner references and managed fields.
 */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, opts: MetaValidationOptions = {}): FieldError[] {
  const path = opts.path ?? 'metadata';
  const errs: FieldError[] = [];
  if (old.deletionTimestamp !== undefined) {
    const oldFins = new Set(old.finalizers ?? []);
    const extra = [...new Set((meta.finalizers ?? []).filter((f) => !oldFins.has(f)))].sort();
    if (extra.length > 0) {
      errs.push(fieldErr.forbidden(`${path}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`));
    }
  }
  if (opts.requireResourceVersion === true && (meta.resourceVersion ?? '') === '') errs.push(fieldErr.invalid(`${path}.resourceVersion`, meta.resourceVersion ?? '', 'must be specified for an update'));
  if ((meta.generation ?? 0) < (old.generation ?? 0)) errs.push(fieldErr.invalid(`${path}.generation`, meta.generation ?? 0, 'must not be decremented'));
  const asString = (v: unknown): FieldError => fieldErr.invalid('', typeof v === 'string' ? v : '', FIELD_IMMUTABLE);
  const asTime = (v: unknown): FieldError => ({ type: FieldErrorType.Invalid, field: '', value: { kind: 'raw', v: typeof v === 'string' ? goTime(v) : 'null' }, detail: FIELD_IMMUTABLE });
  const asInt = (v: unknown): FieldError => ({ type: FieldErrorType.Invalid, field: '', value: typeof v === 'number' ? { kind: 'int', v } : { kind: 'raw', v: 'null' }, detail: FIELD_IMMUTABLE });
  errs.push(...immutable(`${path}.name`, meta.name, old.name, asString));
  errs.push(...immutable(`${path}.namespace`, meta.namespace, old.namespace, asString));
  errs.push(...immutable(`${path}.uid`, meta.uid, old.uid, asString));
  errs.push(...immutable(`${path}.creationTimestamp`, meta.creationTimestamp, old.creationTimestamp, asTime));
  errs.push(...immutable(`${path}.deletionTimestamp`, meta.deletionTimestamp, old.deletionTimestamp, asTime));
  errs.push(...immutable(`${path}.deletionGracePeriodSeconds`, meta.deletionGracePeriodSeconds, old.deletionGracePeriodSeconds, asInt));
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(meta.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateManagedFields(meta.managedFields, `${path}.managedFields`));
  return errs;
}

/**
 * validateObjectMeta for a whole object of resource `info` (create without `old`, update with),
 * with the kind's name rule (Service: DNS-1035 label, Namespace/StatefulSet: DNS-1123 label,
 * Event: not checked, others: DNS-1123 subdomain); on create a CRD's name must also be
 * `<plural>.<group>`.
 */
export function validateObjectMetaFor(info: Pick<ResourceInfo, 'namespaced' | 'nameRule' | 'group' | 'plural'>, obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs = validateObjectMeta(info, obj.metadata, old?.metadata);
  if (old !== undefined) return errs;
  if (info.group === 'apiextensions.k8s.io' && info.plural === 'customresourcedefinitions') {
    const crd = obj as CustomResourceDefinition;
    const want = `${crd.spec?.names?.plural ?? ''}.${crd.spec?.group ?? ''}`;
    const name = obj.metadata.name ?? '';
    if (name !== '' && name !== want) errs.push(fieldErr.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }
  return errs;
}
