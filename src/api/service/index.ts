// Public API of src/api/service: Service validation and the fix-ups kube-apiserver applies around
// allocation (clusterIP sync, ipFamilies, patchAllocatedValues, dropTypeDependentFields). Pure.
export * from './helpers.ts';
export * from './validation.ts';
export * from './prepare.ts';
