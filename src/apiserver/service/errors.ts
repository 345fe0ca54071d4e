// Allocation errors with stable codes and kube-apiserver's texts (ipallocator and portallocator
// packages): the text is what upstream wraps into the Service's field error or InternalError.

export type AllocationErrorCode = 'not-in-range' | 'allocated' | 'full';

export class AllocationError extends Error {
  readonly code: AllocationErrorCode;
  constructor(code: AllocationErrorCode, message: string) {
    super(message);
    this.name = 'AllocationError';
    this.code = code;
  }
}

/** ipallocator.ErrNotInRange. */
export function ipNotInRange(ip: string, cidr: string): AllocationError {
  return new AllocationError('not-in-range', `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${cidr}`);
}

/** ipallocator.ErrAllocated. */
export function ipAllocated(): AllocationError {
  return new AllocationError('allocated', 'provided IP is already allocated');
}

/** portallocator.ErrNotInRange. */
export function portNotInRange(validPorts: string): AllocationError {
  return new AllocationError('not-in-range', `provided port is not in the valid range. The range of valid ports is ${validPorts}`);
}

/** portallocator.ErrAllocated. */
export function portAllocated(): AllocationError {
  return new AllocationError('allocated', 'provided port is already allocated');
}

/** ErrFull of both allocators. */
export function rangeFull(): AllocationError {
  return new AllocationError('full', 'range is full');
}
