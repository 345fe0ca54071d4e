// Which Ingresses this controller serves (kubernetes.io "Ingress" concept page, "IngressClass" and
// "Default IngressClass"; ingress-nginx's class handling). Pure.
import type { Ingress, IngressClass } from '../../api/types.ts';

/** The controller value our IngressClasses carry (bootstrap's `switchboard` and `nginx` classes). */
export const switchboardController = 'switchboard.dev/ingress';

const defaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';
const legacyClassAnnotation = 'kubernetes.io/ingress.class';

/** Our classes and whether the cluster's default class is one of them. */
export interface ClassSelection {
  /** Names of the IngressClasses whose `spec.controller` is ours. */
  ours: ReadonlySet<string>;
  /** True when the default class (the newest with the is-default-class annotation) is ours. */
  defaultIsOurs: boolean;
}

/**
 * Finds our IngressClasses. With several default classes the newest one is the default
 * (creationTimestamp desc, then name asc), as the DefaultIngressClass admission plugin picks it.
 */
export function selectClasses(classes: readonly IngressClass[], controller: string = switchboardController): ClassSelection {
  const ours = new Set<string>();
  const defaults: IngressClass[] = [];
  for (const c of classes) {
    const name = c.metadata.name ?? '';
    if (c.spec?.controller === controller) ours.add(name);
    if (c.metadata.annotations?.[defaultClassAnnotation] === 'true') defaults.push(c);
  }
  defaults.sort((x, y) => {
    const tx = x.metadata.creationTimestamp ?? '';
    const ty = y.metadata.creationTimestamp ?? '';
    if (tx !== ty) return tx < ty ? 1 : -1;
    return (x.metadata.name ?? '') < (y.metadata.name ?? '') ? -1 : 1;
  });
  const def = defaults[0];
  return { ours, defaultIsOurs: def !== undefined && ours.has(def.metadata.name ?? '') };
}

/**
 * True when the Ingress is ours: `spec.ingressClassName` names one of our classes; or, without it,
 * the legacy `kubernetes.io/ingress.class` annotation does; or it has neither and our class is
 * the default.
 */
export function isOurIngress(ing: Ingress, sel: ClassSelection): boolean {
  const cls = ing.spec?.ingressClassName;
  if (cls !== undefined && cls !== null && cls !== '') return sel.ours.has(cls);
  const legacy = ing.metadata.annotations?.[legacyClassAnnotation];
  if (legacy !== undefined && legacy !== '') return sel.ours.has(legacy);
  return sel.defaultIsOurs;
}
