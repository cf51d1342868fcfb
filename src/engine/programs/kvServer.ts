// kv-server: a durable key-value store over the NIC, speaking the wire format of protocol.ts.
//
//   PUT <key> <value>  -> OK
//   GET <key>          -> VALUE <value> | NOTFOUND
//   INCR <key>         -> VALUE <n>      (missing key counts as 0; the value must be an unsigned
//                                         decimal, else "ERR not an integer"; arithmetic mod 2^32)
//   DEL <key>          -> DELETED | NOTFOUND
//
// Keys are 1..16 bytes, values 1..24 bytes, words separated by single spaces, bytes '!'..'~'.
// Errors: ERR bad request | ERR unknown command | ERR wrong arguments | ERR key too long |
// ERR value too long | ERR table full | ERR not an integer | ERR request too long | ERR disk error.
//
// Durability: every successful write appends one 64-byte block to the disk (block = number of
// writes so far, wrapping at DISK_BLOCKS) holding "PUT <key> <value>" or "DEL <key>", NUL-padded
// (INCR logs the PUT of its result, so replaying the log is idempotent). The reply is sent only
// after the disk reports the write complete. At boot the log is replayed from block 0 up to the
// first block starting with a NUL byte. A timer ticks every 10 ms and the handler counts ticks.

export const KV_SERVER_ASM = String.raw`
; kv-server: a durable key-value store. See kvServer.ts for the protocol.
KEY_MAX = 16
VAL_MAX = 24
KV_SLOTS = 64
ENT_KLEN = 0                     ; byte: key length, 0 = free slot
ENT_VLEN = 1                     ; byte: value length
ENT_KEY = 2                      ; KEY_MAX bytes
ENT_VAL = ENT_KEY + KEY_MAX      ; VAL_MAX bytes
ENT_SIZE = 48
TIMER_MS = 10

start:
    setvec IRQ_TIMER, kv_on_timer
    setvec IRQ_DISK, kv_on_disk
    li r1, TIMER_MS
    out TIMER_PERIOD, r1

; Recovery: replay the log, block 0 upwards, until an empty block (first byte NUL).
    li r7, 0                     ; blocks replayed
kv_recover:
    li r1, DISK_BLOCKS
    bgeu r7, r1, kv_recovered
    mov r1, r7
    li r2, DISK_READ
    call kv_disk_io
    bnez r1, kv_recovered        ; read error: stop here
    lbu r1, [kv_diskbuf]
    beqz r1, kv_recovered
    li r1, kv_diskbuf
    call kv_apply
    addi r7, r7, 1
    jmp kv_recover
kv_recovered:
    li r1, DISK_BLOCKS
    remu r1, r7, r1
    sw r1, [kv_next_block]       ; the next write appends after the last record
    li r1, kv_s_recovered
    call puts
    mov r1, r7
    call putu
    li r1, kv_s_ready
    call puts
    call net_start

; The idle loop: race-free wait for a frame (di, check, wfi).
kv_loop:
    di
    lw r1, [net_rx_flag]
    bnez r1, kv_frame
    wfi
    jmp kv_loop
kv_frame:
    ei
    li r1, kv_request
    call net_serve_frame
    jmp kv_loop

; ---- interrupt handlers (preserve every register they touch)

kv_on_timer:
    push r1
    lw r1, [kv_ticks]
    addi r1, r1, 1
    sw r1, [kv_ticks]
    pop r1
    iret

kv_on_disk:
    push r1
    li r1, 1
    sw r1, [kv_disk_flag]
    pop r1
    iret

; kv_disk_io: run disk command r2 (DISK_READ / DISK_WRITE) on block r1 with kv_diskbuf and wait
; for its completion interrupt; returns r1 = DISK_STATUS (0 = ok)
kv_disk_io:
    sw r0, [kv_disk_flag]
    li r3, kv_diskbuf
    out DISK_ADDR, r3
    out DISK_BLOCK, r1
    out DISK_CMD, r2
kv_disk_wait:
    di
    lw r3, [kv_disk_flag]
    bnez r3, kv_disk_done
    wfi
    jmp kv_disk_wait
kv_disk_done:
    ei
    in r1, DISK_STATUS
    ret

; ---- requests: r1 = number of words (net_serve_frame has split the text)

kv_request:
    push r7
    push r8
    mov r7, r1
    beqz r7, kv_bad
    li r1, 0
    li r2, kv_s_put
    call word_eq
    bnez r1, kv_put
    li r1, 0
    li r2, kv_s_get
    call word_eq
    bnez r1, kv_get
    li r1, 0
    li r2, kv_s_incr
    call word_eq
    bnez r1, kv_incr
    li r1, 0
    li r2, kv_s_del
    call word_eq
    bnez r1, kv_del
    li r1, kv_e_unknown
    jmp kv_reply
kv_bad:
    li r1, kv_e_bad
kv_reply:                        ; reply with the string at r1
    call reply_str
kv_ret:
    pop r8
    pop r7
    ret
kv_args:
    li r1, kv_e_args
    jmp kv_reply
kv_key_long:
    li r1, kv_e_key_long
    jmp kv_reply
kv_val_long:
    li r1, kv_e_val_long
    jmp kv_reply
kv_full:
    li r1, kv_e_full
    jmp kv_reply
kv_not_int:
    li r1, kv_e_not_int
    jmp kv_reply
kv_disk_err:
    li r1, kv_e_disk
    jmp kv_reply
kv_notfound:
    li r1, kv_s_notfound
    jmp kv_reply

kv_put:
    li r1, 3
    bne r7, r1, kv_args
    lw r1, [tok_len + 4]
    li r2, KEY_MAX
    bltu r2, r1, kv_key_long
    lw r1, [tok_len + 8]
    li r2, VAL_MAX
    bltu r2, r1, kv_val_long
    lw r1, [tok_ptr + 4]
    lw r2, [tok_len + 4]
    call kv_find
    bnez r1, kv_put_log
    call kv_free_slot            ; a new key needs room
    beqz r1, kv_full
kv_put_log:
    li r1, kv_s_put_sp
    call kv_rec_start
    lw r2, [tok_ptr + 4]
    lw r3, [tok_len + 4]
    call memcpy
    li r2, ' '
    sb r2, [r1]
    addi r1, r1, 1
    lw r2, [tok_ptr + 8]
    lw r3, [tok_len + 8]
    call memcpy
    call kv_commit
    beqz r1, kv_disk_err
    li r1, kv_s_ok
    jmp kv_reply

kv_get:
    li r1, 2
    bne r7, r1, kv_args
    lw r1, [tok_len + 4]
    li r2, KEY_MAX
    bltu r2, r1, kv_key_long
    lw r1, [tok_ptr + 4]
    lw r2, [tok_len + 4]
    call kv_find
    beqz r1, kv_notfound
    mov r7, r1
    li r1, kv_s_value_sp
    call reply_str
    addi r1, r7, ENT_VAL
    lbu r2, [r7 + ENT_VLEN]
    call reply_mem
    jmp kv_ret

kv_incr:
    li r1, 2
    bne r7, r1, kv_args
    lw r1, [tok_len + 4]
    li r2, KEY_MAX
    bltu r2, r1, kv_key_long
    lw r1, [tok_ptr + 4]
    lw r2, [tok_len + 4]
    call kv_find
    beqz r1, kv_incr_new
    mov r8, r1
    addi r1, r8, ENT_VAL
    lbu r2, [r8 + ENT_VLEN]
    call atou                    ; digits only; more than 10 digits wrap mod 2^32
    beqz r2, kv_not_int
    addi r8, r1, 1
    jmp kv_incr_log
kv_incr_new:
    call kv_free_slot
    beqz r1, kv_full
    li r8, 1
kv_incr_log:                     ; log "PUT <key> <n>": replaying it is idempotent
    li r1, kv_s_put_sp
    call kv_rec_start
    lw r2, [tok_ptr + 4]
    lw r3, [tok_len + 4]
    call memcpy
    li r2, ' '
    sb r2, [r1]
    addi r2, r1, 1
    mov r1, r8
    call utoa
    call kv_commit
    beqz r1, kv_disk_err
    li r1, kv_s_value_sp
    call reply_str
    mov r1, r8
    call reply_u
    jmp kv_ret

kv_del:
    li r1, 2
    bne r7, r1, kv_args
    lw r1, [tok_len + 4]
    li r2, KEY_MAX
    bltu r2, r1, kv_key_long
    lw r1, [tok_ptr + 4]
    lw r2, [tok_len + 4]
    call kv_find
    beqz r1, kv_notfound
    li r1, kv_s_del_sp
    call kv_rec_start
    lw r2, [tok_ptr + 4]
    lw r3, [tok_len + 4]
    call memcpy
    call kv_commit
    beqz r1, kv_disk_err
    li r1, kv_s_deleted
    jmp kv_reply

; ---- the log

; kv_rec_start: clear kv_diskbuf and start a record with the NUL-terminated string at r1;
; returns r1 = where the record continues
kv_rec_start:
    li r2, kv_diskbuf
    li r3, kv_diskbuf + DISK_BLOCK_SIZE
kv_rec_zero:
    sw r0, [r2]
    addi r2, r2, 4
    bne r2, r3, kv_rec_zero
    li r2, kv_diskbuf
kv_rec_copy:
    lbu r3, [r1]
    beqz r3, kv_rec_done
    sb r3, [r2]
    addi r1, r1, 1
    addi r2, r2, 1
    jmp kv_rec_copy
kv_rec_done:
    mov r1, r2
    ret

; kv_commit: append the record in kv_diskbuf to the log, wait until the disk has it, then apply
; it to the table. Returns r1 = 1, or 0 if the disk failed (nothing applied). Clobbers the words.
kv_commit:
    lw r1, [kv_next_block]
    li r2, DISK_WRITE
    call kv_disk_io
    bnez r1, kv_commit_fail
    lw r1, [kv_next_block]
    addi r1, r1, 1
    li r2, DISK_BLOCKS
    remu r1, r1, r2
    sw r1, [kv_next_block]
    li r1, kv_diskbuf
    call kv_apply
    li r1, 1
    ret
kv_commit_fail:
    li r1, 0
    ret

; kv_apply: apply the log record in the block at r1 ("PUT k v" or "DEL k", NUL-padded) to the
; table. Malformed records, and a PUT of a new key into a full table, are ignored.
kv_apply:
    push r7
    push r8
    mov r7, r1
    li r2, 0                     ; the text ends at the first NUL, or with the block
    li r3, DISK_BLOCK_SIZE
kv_apply_len:
    beq r2, r3, kv_apply_split
    add r4, r7, r2
    lbu r4, [r4]
    beqz r4, kv_apply_split
    addi r2, r2, 1
    jmp kv_apply_len
kv_apply_split:
    mov r1, r7
    call tokenize
    mov r8, r1
    li r1, 0
    li r2, kv_s_put
    call word_eq
    bnez r1, kv_apply_put
    li r1, 0
    li r2, kv_s_del
    call word_eq
    bnez r1, kv_apply_del
    jmp kv_apply_ret
kv_apply_put:
    li r1, 3
    bne r8, r1, kv_apply_ret
    lw r1, [tok_len + 4]
    li r2, KEY_MAX
    bltu r2, r1, kv_apply_ret
    lw r1, [tok_len + 8]
    li r2, VAL_MAX
    bltu r2, r1, kv_apply_ret
    lw r1, [tok_ptr + 4]
    lw r2, [tok_len + 4]
    call kv_find
    bnez r1, kv_apply_val
    call kv_free_slot
    beqz r1, kv_apply_ret
    mov r7, r1                   ; a new entry: its key
    lw r2, [tok_len + 4]
    sb r2, [r7 + ENT_KLEN]
    addi r1, r7, ENT_KEY
    lw r2, [tok_ptr + 4]
    lw r3, [tok_len + 4]
    call memcpy
    mov r1, r7
kv_apply_val:
    mov r7, r1
    lw r2, [tok_len + 8]
    sb r2, [r7 + ENT_VLEN]
    addi r1, r7, ENT_VAL
    lw r2, [tok_ptr + 8]
    lw r3, [tok_len + 8]
    call memcpy
    jmp kv_apply_ret
kv_apply_del:
    li r1, 2
    bne r8, r1, kv_apply_ret
    lw r1, [tok_ptr + 4]
    lw r2, [tok_len + 4]
    call kv_find
    beqz r1, kv_apply_ret
    sb r0, [r1 + ENT_KLEN]       ; free the slot
kv_apply_ret:
    pop r8
    pop r7
    ret

; ---- the table: KV_SLOTS entries of ENT_SIZE bytes, searched linearly

; kv_find: r1 = the entry holding the r2-byte key at r1, or 0
kv_find:
    push r7
    push r8
    push r9
    push r10
    mov r7, r1
    mov r8, r2
    li r9, kv_table
    li r10, kv_table + KV_SLOTS * ENT_SIZE
kv_find_loop:
    lbu r3, [r9 + ENT_KLEN]
    bne r3, r8, kv_find_next     ; free slots have length 0, keys at least 1
    mov r1, r7
    addi r2, r9, ENT_KEY
    mov r3, r8
    call memeq
    bnez r1, kv_find_hit
kv_find_next:
    addi r9, r9, ENT_SIZE
    bne r9, r10, kv_find_loop
    li r1, 0
    jmp kv_find_ret
kv_find_hit:
    mov r1, r9
kv_find_ret:
    pop r10
    pop r9
    pop r8
    pop r7
    ret

; kv_free_slot: r1 = a free entry, or 0 if the table is full
kv_free_slot:
    li r1, kv_table
    li r2, kv_table + KV_SLOTS * ENT_SIZE
kv_free_loop:
    lbu r3, [r1 + ENT_KLEN]
    beqz r3, kv_free_ret
    addi r1, r1, ENT_SIZE
    bne r1, r2, kv_free_loop
    li r1, 0
kv_free_ret:
    ret

kv_s_recovered: .string "kv-server: recovered "
kv_s_ready: .string " records\nkv-server ready\n"
kv_s_put: .string "PUT"
kv_s_get: .string "GET"
kv_s_incr: .string "INCR"
kv_s_del: .string "DEL"
kv_s_put_sp: .string "PUT "
kv_s_del_sp: .string "DEL "
kv_s_ok: .string "OK"
kv_s_value_sp: .string "VALUE "
kv_s_notfound: .string "NOTFOUND"
kv_s_deleted: .string "DELETED"
kv_e_bad: .string "ERR bad request"
kv_e_unknown: .string "ERR unknown command"
kv_e_args: .string "ERR wrong arguments"
kv_e_key_long: .string "ERR key too long"
kv_e_val_long: .string "ERR value too long"
kv_e_full: .string "ERR table full"
kv_e_not_int: .string "ERR not an integer"
kv_e_disk: .string "ERR disk error"
    .align 4
kv_ticks: .word 0                ; timer ticks since boot
kv_disk_flag: .word 0            ; set by the disk completion interrupt
kv_next_block: .word 0           ; where the next log record goes
kv_diskbuf: .space DISK_BLOCK_SIZE
kv_table: .space KV_SLOTS * ENT_SIZE

.include "lib"
.include "net"
`;
