// primes: a CPU-bound guest (the paper's SPECjbb stands for this kind of load). It searches for
// primes by trial division forever, prints every 1000th, and counts timer ticks, so FT has
// timer interrupts to log while the machine never idles. The browser benchmark runs it.

export const PRIMES_ASM = String.raw`
start:
    setvec IRQ_TIMER, on_tick
    li r1, 10
    out TIMER_PERIOD, r1         ; a tick every 10 ms
    ei
    li r7, 2                     ; the candidate
    li r8, 0                     ; primes found
next_candidate:
    li r9, 2                     ; trial divisor
trial:
    mul r10, r9, r9
    bltu r7, r10, is_prime       ; divisor squared beyond the candidate: prime
    remu r11, r7, r9
    beqz r11, not_prime
    addi r9, r9, 1
    jmp trial
is_prime:
    addi r8, r8, 1
    li r1, 1000
    remu r2, r8, r1
    bnez r2, not_prime
    li r1, msg_prime
    call puts
    mov r1, r8
    call putu
    li r1, msg_eq
    call puts
    mov r1, r7
    call putu
    li r1, msg_ticks
    call puts
    lw r1, [ticks]
    call putu
    li r1, msg_close
    call puts
not_prime:
    addi r7, r7, 1
    jmp next_candidate

on_tick:
    push r1
    lw r1, [ticks]
    addi r1, r1, 1
    sw r1, [ticks]
    pop r1
    iret

ticks: .word 0
msg_prime: .string "prime #"
msg_eq: .string " = "
msg_ticks: .string " (ticks: "
msg_close: .string ")\n"
    .align 4
.include "lib"
`;
