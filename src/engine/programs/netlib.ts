// net.asm: request/reply plumbing shared by kv-server and lease-server, pulled in with
// `.include "net"` (after `.include "lib"`). It speaks the wire format of protocol.ts: a frame
// is u16 LE client id, u16 LE request id, ASCII text; the reply echoes the 4-byte header.
//
// A server calls net_start once, then in its idle loop waits (di / check / wfi) for
// net_rx_flag and calls net_serve_frame with its request handler. The receive buffer is
// re-armed only after the reply is sent, so while a request is handled no NIC interrupt can
// arrive and the frame can be read in place.

export const NET_ASM = String.raw`
; ---- net: request/reply plumbing (wire format: u16 LE client, u16 LE request id, text) ----

NET_RX_CAP = 64                  ; receive buffer bytes; a frame this long is "too long"
NET_TX_CAP = 64                  ; reply buffer bytes (header + text)
TOK_MAX = 4                      ; tokenize records at most this many words

; net_start: install the NIC handler and arm the receive buffer
net_start:
    setvec IRQ_NIC, net_on_nic
    jmp net_arm                  ; tail call

; net_arm: (re-)arm receive into net_rxbuf
net_arm:
    li r1, net_rxbuf
    out NIC_RX_ADDR, r1
    li r1, NET_RX_CAP
    out NIC_RX_CAP, r1
    ret

; NIC interrupt: note that a frame has arrived; the main loop handles it
net_on_nic:
    push r1
    li r1, 1
    sw r1, [net_rx_flag]
    pop r1
    iret

; net_serve_frame: handle the frame in net_rxbuf, reply, log, re-arm.
; r1 = the program's request handler. It is called with the request text split into words
; (see tokenize: r1 = word count, 0 if malformed) and builds its reply with reply_str,
; reply_mem and reply_u. A frame shorter than the header gets no reply; a frame that fills
; the buffer is answered "ERR request too long" without calling the handler.
net_serve_frame:
    push r7
    mov r7, r1
    sw r0, [net_rx_flag]
    in r1, NIC_RX_LEN
    sw r1, [net_rx_len]
    li r2, 4
    bltu r1, r2, net_short
    call reply_begin
    lw r1, [net_rx_len]
    li r2, NET_RX_CAP
    bgeu r1, r2, net_too_long
    li r1, net_rxbuf + 4
    lw r2, [net_rx_len]
    addi r2, r2, -4
    call tokenize
    callr r7
    jmp net_send
net_too_long:
    li r1, net_s_too_long
    call reply_str
net_send:
    call net_log                 ; log first: the line is complete when the reply leaves
    li r1, net_txbuf
    out NIC_TX_ADDR, r1
    lw r1, [net_reply_ptr]
    li r2, net_txbuf
    sub r1, r1, r2
    out NIC_TX_SEND, r1
    jmp net_rearm
net_short:
    li r1, net_s_short
    call puts
    lw r1, [net_rx_len]
    call putu
    li r1, net_s_short2
    call puts
net_rearm:
    call net_arm
    pop r7
    ret

; net_client: r1 = the client id of the request being handled
net_client:
    lbu r1, [net_rxbuf]
    lbu r2, [net_rxbuf + 1]
    shli r2, r2, 8
    or r1, r1, r2
    ret

; net_reqid: r1 = the request id of the request being handled
net_reqid:
    lbu r1, [net_rxbuf + 2]
    lbu r2, [net_rxbuf + 3]
    shli r2, r2, 8
    or r1, r1, r2
    ret

; net_log: print "c<client>#<reqid> <request> -> <reply>" and a newline
net_log:
    li r1, 'c'
    call putc
    call net_client
    call putu
    li r1, '#'
    call putc
    call net_reqid
    call putu
    li r1, ' '
    call putc
    li r1, net_rxbuf + 4
    lw r2, [net_rx_len]
    addi r2, r2, -4
    call putsafe
    li r1, net_s_arrow
    call puts
    li r1, net_txbuf + 4
    lw r2, [net_reply_ptr]
    sub r2, r2, r1
    call putsafe
    li r1, 10
    jmp putc                     ; tail call

; reply_begin: start a reply to the current request (echo its header)
reply_begin:
    lw r1, [net_rxbuf]
    sw r1, [net_txbuf]
    li r1, net_txbuf + 4
    sw r1, [net_reply_ptr]
    ret

; reply_str: append the NUL-terminated string at r1 to the reply
reply_str:
    lw r2, [net_reply_ptr]
reply_str_loop:
    lbu r3, [r1]
    beqz r3, reply_str_done
    sb r3, [r2]
    addi r1, r1, 1
    addi r2, r2, 1
    jmp reply_str_loop
reply_str_done:
    sw r2, [net_reply_ptr]
    ret

; reply_mem: append the r2 bytes at r1 to the reply
reply_mem:
    mov r3, r2
    mov r2, r1
    lw r1, [net_reply_ptr]
    call memcpy
    sw r1, [net_reply_ptr]
    ret

; reply_u: append r1 (unsigned) in decimal to the reply
reply_u:
    lw r2, [net_reply_ptr]
    call utoa
    lw r2, [net_reply_ptr]
    add r2, r2, r1
    sw r2, [net_reply_ptr]
    ret

; tokenize: split the r2 bytes at r1 into words separated by single spaces, into tok_count,
; tok_ptr[] and tok_len[] (words 0..TOK_MAX-1). Returns r1 = tok_count = the number of words,
; TOK_MAX + 1 if there are more than TOK_MAX, or 0 if the text is malformed: empty, a leading,
; trailing or double space, or a byte outside '!'..'~' other than the separating spaces.
tokenize:
    li r3, 0                     ; words so far
    beqz r2, tok_bad
tok_word:                        ; a word starts at r1 (r2 > 0 bytes left)
    li r4, TOK_MAX
    bgeu r3, r4, tok_many
    mov r5, r1                   ; word start
    shli r4, r3, 2
    sw r1, [r4 + tok_ptr]
tok_scan:
    beqz r2, tok_last
    lbu r6, [r1]
    li r4, ' '
    beq r6, r4, tok_space
    addi r6, r6, -'!'
    li r4, '~' - '!' + 1
    bgeu r6, r4, tok_bad         ; unsigned: catches bytes below '!' too
    addi r1, r1, 1
    addi r2, r2, -1
    jmp tok_scan
tok_space:
    sub r6, r1, r5
    beqz r6, tok_bad             ; empty word: leading or double space
    shli r4, r3, 2
    sw r6, [r4 + tok_len]
    addi r3, r3, 1
    addi r1, r1, 1
    addi r2, r2, -1
    beqz r2, tok_bad             ; trailing space
    jmp tok_word
tok_last:
    sub r6, r1, r5
    shli r4, r3, 2
    sw r6, [r4 + tok_len]
    addi r1, r3, 1
    jmp tok_ret
tok_many:
    li r1, TOK_MAX + 1
    jmp tok_ret
tok_bad:
    li r1, 0
tok_ret:
    sw r1, [tok_count]
    ret

; word_eq: r1 = 1 if word r1 (0-based) exists and equals the NUL-terminated string at r2
word_eq:
    lw r3, [tok_count]
    li r4, TOK_MAX
    bgeu r4, r3, word_eq_have
    mov r3, r4                   ; "too many words": the first TOK_MAX are recorded
word_eq_have:
    bgeu r1, r3, word_eq_no
    shli r1, r1, 2
    lw r3, [r1 + tok_len]
    lw r1, [r1 + tok_ptr]
word_eq_loop:
    lbu r4, [r2]
    beqz r4, word_eq_end
    beqz r3, word_eq_no
    lbu r5, [r1]
    bne r4, r5, word_eq_no
    addi r1, r1, 1
    addi r2, r2, 1
    addi r3, r3, -1
    jmp word_eq_loop
word_eq_end:
    li r1, 1
    beqz r3, word_eq_ret         ; equal only if the word ended too
word_eq_no:
    li r1, 0
word_eq_ret:
    ret

net_s_too_long: .string "ERR request too long"
net_s_short: .string "short frame ("
net_s_short2: .string " bytes) dropped\n"
net_s_arrow: .string " -> "
    .align 4
net_rx_flag: .word 0
net_rx_len: .word 0
net_reply_ptr: .word 0
tok_count: .word 0
tok_ptr: .space 4 * TOK_MAX
tok_len: .space 4 * TOK_MAX
net_rxbuf: .space NET_RX_CAP
net_txbuf: .space NET_TX_CAP
    .align 4
`;
