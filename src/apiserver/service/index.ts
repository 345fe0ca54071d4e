// Public API of src/apiserver/service: the Service strategy (allocation + validation) and its
// ClusterIP and NodePort allocators.
export { createServiceStrategy, type ServiceStrategy, type ServiceStrategyOptions } from './strategy.ts';
export { ServiceAllocators, ownerOf, type AllocatorOptions } from './alloc.ts';
export { ClusterIPRange, ipRangeOffset } from './ipallocator.ts';
export { NodePortRange, parsePortRange, portRangeOffset, type PortRange } from './portallocator.ts';
export { AllocationError, type AllocationErrorCode } from './errors.ts';
