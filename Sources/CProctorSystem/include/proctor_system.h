// Small system queries Swift's Glibc module does not expose.
#ifndef PROCTOR_SYSTEM_H
#define PROCTOR_SYSTEM_H

/// Lowest address of the calling thread's stack, or 0 when unknown.
unsigned long proctor_stack_low(void);
/// Size in bytes of the calling thread's stack, or 0 when unknown.
unsigned long proctor_stack_size(void);

/// The caller's real stack position (not a sanitizer's fake frame).
unsigned long proctor_stack_position(void);

#endif
