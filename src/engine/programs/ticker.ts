// ticker: the non-deterministic reads. The timer ticks every 10 ms; on every 5th tick the guest
// reads the CLOCK and RANDOM ports and prints `tick <n> clock=<ms, decimal> random=0x<8 hex>`,
// where n is the tick number (5, 10, 15, ...). It runs forever, idle in wfi between ticks. Under
// FT the backup must print the same lines: the primary logs what each port read returned.

export const TICKER_ASM = String.raw`
; ticker: print the clock and a random number every 5th timer tick.
TIMER_MS = 10
EVERY = 5

start:
    setvec IRQ_TIMER, tk_on_timer
    li r1, TIMER_MS
    out TIMER_PERIOD, r1
    li r7, 0                     ; ticks handled
tk_loop:
    di
    lw r1, [tk_ticks]
    bne r1, r7, tk_work
    wfi                          ; race-free: enables interrupts and idles in one step
    jmp tk_loop
tk_work:
    ei
    addi r7, r7, 1
    li r1, EVERY
    remu r1, r7, r1
    bnez r1, tk_loop
    in r8, CLOCK
    in r9, RANDOM
    li r1, tk_s_tick
    call puts
    mov r1, r7
    call putu
    li r1, tk_s_clock
    call puts
    mov r1, r8
    call putu
    li r1, tk_s_random
    call puts
    mov r1, r9
    call putx
    li r1, 10
    call putc
    jmp tk_loop

; Timer interrupt: count the tick.
tk_on_timer:
    push r1
    lw r1, [tk_ticks]
    addi r1, r1, 1
    sw r1, [tk_ticks]
    pop r1
    iret

tk_s_tick: .string "tick "
tk_s_clock: .string " clock="
tk_s_random: .string " random=0x"
    .align 4
tk_ticks: .word 0

.include "lib"
`;
