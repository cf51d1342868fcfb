// lease-server: the GFS master's lease example (FT paper §1: state that depends on *when* timer
// interrupts arrive). Speaks the wire format of protocol.ts.
//
//   LEASE <name>    -> GRANTED <name>                 (free, expired, or already held by the
//                                                       sender: granted/renewed for LEASE_TICKS)
//                    | DENIED <name> held by c<holder>
//   RELEASE <name>  -> RELEASED | NOTHELD              (only the holder can release)
//
// Names are 1..16 bytes ('!'..'~'); at most 16 leases are held at once. Errors: ERR bad request |
// ERR unknown command | ERR wrong arguments | ERR name too long | ERR too many leases |
// ERR request too long. The timer ticks every 10 ms; each tick decrements every held lease's
// remaining ticks and one that reaches 0 expires, printing `lease <name> expired (was c<holder>)`.
// So a lease granted (or renewed) between two ticks lasts 5 ticks: more than 40 and at most 50 ms.
// If the backup took a timer interrupt at a different point in the instruction stream than the
// primary, the two could disagree about who holds a lease.

export const LEASE_SERVER_ASM = String.raw`
; lease-server: leases that expire on timer ticks. See leaseServer.ts for the protocol.
LEASE_TICKS = 5
LEASE_SLOTS = 16
NAME_MAX = 16
TIMER_MS = 10
L_LEFT = 0                       ; word: ticks left, 0 = free slot
L_HOLDER = 4                     ; word: client id
L_NLEN = 8                       ; word: name length
L_NAME = 12                      ; NAME_MAX bytes
L_SIZE = 28

start:
    setvec IRQ_TIMER, ls_on_timer
    li r1, TIMER_MS
    out TIMER_PERIOD, r1
    li r1, ls_s_ready
    call puts
    call net_start

; The idle loop: ticks first, then frames; race-free wait (di, check, wfi).
ls_loop:
    di
    lw r1, [ls_ticks_pending]
    bnez r1, ls_tick
    lw r1, [net_rx_flag]
    bnez r1, ls_frame
    wfi
    jmp ls_loop
ls_tick:
    addi r1, r1, -1
    sw r1, [ls_ticks_pending]
    ei
    call ls_expire
    jmp ls_loop
ls_frame:
    ei
    li r1, ls_request
    call net_serve_frame
    jmp ls_loop

; Timer interrupt: count the tick; the main loop ages the leases.
ls_on_timer:
    push r1
    lw r1, [ls_ticks_pending]
    addi r1, r1, 1
    sw r1, [ls_ticks_pending]
    lw r1, [ls_ticks]
    addi r1, r1, 1
    sw r1, [ls_ticks]
    pop r1
    iret

; ls_expire: one tick passes for every held lease
ls_expire:
    push r7
    push r8
    li r7, ls_table
    li r8, ls_table + LEASE_SLOTS * L_SIZE
ls_exp_loop:
    lw r1, [r7 + L_LEFT]
    beqz r1, ls_exp_next
    addi r1, r1, -1
    sw r1, [r7 + L_LEFT]
    bnez r1, ls_exp_next
    li r1, ls_s_lease_sp
    call puts
    addi r1, r7, L_NAME
    lw r2, [r7 + L_NLEN]
    call putsn
    li r1, ls_s_expired
    call puts
    lw r1, [r7 + L_HOLDER]
    call putu
    li r1, ls_s_close
    call puts
ls_exp_next:
    addi r7, r7, L_SIZE
    bne r7, r8, ls_exp_loop
    pop r8
    pop r7
    ret

; ---- requests: r1 = number of words (net_serve_frame has split the text)

ls_request:
    push r7
    push r8
    push r9
    mov r7, r1
    beqz r7, ls_bad
    call net_client
    mov r9, r1                   ; the requesting client
    li r1, 0
    li r2, ls_s_lease
    call word_eq
    bnez r1, ls_lease
    li r1, 0
    li r2, ls_s_release
    call word_eq
    bnez r1, ls_release
    li r1, ls_e_unknown
    jmp ls_reply
ls_bad:
    li r1, ls_e_bad
ls_reply:                        ; reply with the string at r1
    call reply_str
ls_ret:
    pop r9
    pop r8
    pop r7
    ret
ls_args:
    li r1, ls_e_args
    jmp ls_reply
ls_name_long:
    li r1, ls_e_name_long
    jmp ls_reply

ls_lease:
    li r1, 2
    bne r7, r1, ls_args
    lw r1, [tok_len + 4]
    li r2, NAME_MAX
    bltu r2, r1, ls_name_long
    call ls_find
    beqz r1, ls_lease_new
    mov r8, r1
    lw r1, [r8 + L_HOLDER]
    bne r1, r9, ls_denied
    li r1, LEASE_TICKS           ; the holder renews
    sw r1, [r8 + L_LEFT]
    jmp ls_granted
ls_lease_new:
    call ls_free_slot
    bnez r1, ls_lease_take
    li r1, ls_e_full
    jmp ls_reply
ls_lease_take:
    mov r8, r1
    sw r9, [r8 + L_HOLDER]
    lw r1, [tok_len + 4]
    sw r1, [r8 + L_NLEN]
    addi r1, r8, L_NAME
    lw r2, [tok_ptr + 4]
    lw r3, [tok_len + 4]
    call memcpy
    li r1, LEASE_TICKS
    sw r1, [r8 + L_LEFT]
ls_granted:
    li r1, ls_s_granted_sp
    call reply_str
    lw r1, [tok_ptr + 4]
    lw r2, [tok_len + 4]
    call reply_mem
    jmp ls_ret
ls_denied:
    li r1, ls_s_denied_sp
    call reply_str
    lw r1, [tok_ptr + 4]
    lw r2, [tok_len + 4]
    call reply_mem
    li r1, ls_s_held_by
    call reply_str
    lw r1, [r8 + L_HOLDER]
    call reply_u
    jmp ls_ret

ls_release:
    li r1, 2
    bne r7, r1, ls_args
    lw r1, [tok_len + 4]
    li r2, NAME_MAX
    bltu r2, r1, ls_name_long
    call ls_find
    beqz r1, ls_notheld
    lw r2, [r1 + L_HOLDER]
    bne r2, r9, ls_notheld
    sw r0, [r1 + L_LEFT]
    li r1, ls_s_released
    jmp ls_reply
ls_notheld:
    li r1, ls_s_notheld
    jmp ls_reply

; ls_find: r1 = the held lease named by word 1, or 0
ls_find:
    push r7
    push r8
    li r7, ls_table
    li r8, ls_table + LEASE_SLOTS * L_SIZE
ls_find_loop:
    lw r1, [r7 + L_LEFT]
    beqz r1, ls_find_next
    lw r1, [r7 + L_NLEN]
    lw r2, [tok_len + 4]
    bne r1, r2, ls_find_next
    addi r1, r7, L_NAME
    lw r2, [tok_ptr + 4]
    lw r3, [tok_len + 4]
    call memeq
    bnez r1, ls_find_hit
ls_find_next:
    addi r7, r7, L_SIZE
    bne r7, r8, ls_find_loop
    li r1, 0
    jmp ls_find_ret
ls_find_hit:
    mov r1, r7
ls_find_ret:
    pop r8
    pop r7
    ret

; ls_free_slot: r1 = a free (never used, released or expired) slot, or 0
ls_free_slot:
    li r1, ls_table
    li r2, ls_table + LEASE_SLOTS * L_SIZE
ls_free_loop:
    lw r3, [r1 + L_LEFT]
    beqz r3, ls_free_ret
    addi r1, r1, L_SIZE
    bne r1, r2, ls_free_loop
    li r1, 0
ls_free_ret:
    ret

ls_s_ready: .string "lease-server ready\n"
ls_s_lease: .string "LEASE"
ls_s_release: .string "RELEASE"
ls_s_granted_sp: .string "GRANTED "
ls_s_denied_sp: .string "DENIED "
ls_s_held_by: .string " held by c"
ls_s_released: .string "RELEASED"
ls_s_notheld: .string "NOTHELD"
ls_s_lease_sp: .string "lease "
ls_s_expired: .string " expired (was c"
ls_s_close: .string ")\n"
ls_e_bad: .string "ERR bad request"
ls_e_unknown: .string "ERR unknown command"
ls_e_args: .string "ERR wrong arguments"
ls_e_name_long: .string "ERR name too long"
ls_e_full: .string "ERR too many leases"
    .align 4
ls_ticks: .word 0                ; timer ticks since boot
ls_ticks_pending: .word 0        ; ticks the main loop has not processed yet
ls_table: .space LEASE_SLOTS * L_SIZE

.include "lib"
.include "net"
`;
