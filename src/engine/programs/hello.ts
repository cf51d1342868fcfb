// hello: the smallest program. Prints a greeting and the first Fibonacci numbers, then halts:
// the same output every time, because nothing non-deterministic ever happens.

export const HELLO_ASM = String.raw`
; hello: a deterministic machine, nothing more.
start:
    li r1, greeting
    call puts
    li r7, 0            ; fib(n-1)
    li r8, 1            ; fib(n)
    li r9, 12           ; how many numbers
loop:
    mov r1, r8
    call putu
    li r1, ' '
    call putc
    add r10, r7, r8
    mov r7, r8
    mov r8, r10
    addi r9, r9, -1
    bnez r9, loop
    li r1, 10
    call putc
    halt

greeting: .string "Hello from the tiny machine!\n"
    .align 4
.include "lib"
`;
