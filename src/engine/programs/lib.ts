// lib.asm: routines the guest programs share, pulled in with `.include "lib"`.
// Calling convention: arguments in r1..r4, result in r1; r1..r6 are scratch (caller-saved),
// r7..r14 are preserved by the callee; r15 is sp.

export const LIB_ASM = String.raw`
; ---- lib: console and string helpers ----

; putc: print the character in r1
putc:
    out CONSOLE, r1
    ret

; puts: print the NUL-terminated string at r1
puts:
    lbu r2, [r1]
    beqz r2, puts_done
    out CONSOLE, r2
    addi r1, r1, 1
    jmp puts
puts_done:
    ret

; putsn: print r2 bytes starting at r1
putsn:
    beqz r2, putsn_done
    lbu r3, [r1]
    out CONSOLE, r3
    addi r1, r1, 1
    addi r2, r2, -1
    jmp putsn
putsn_done:
    ret

; putsafe: print the r2 bytes at r1, showing any byte outside ' '..'~' as '?'
putsafe:
    beqz r2, putsafe_done
    lbu r3, [r1]
    addi r4, r3, -' '
    li r5, '~' - ' ' + 1
    bltu r4, r5, putsafe_show    ; unsigned: catches bytes below ' ' too
    li r3, '?'
putsafe_show:
    out CONSOLE, r3
    addi r1, r1, 1
    addi r2, r2, -1
    jmp putsafe
putsafe_done:
    ret

; utoa: write r1 (unsigned) in decimal at r2; returns the length in r1
utoa:
    li r3, lib_digits + 12       ; build the digits backwards in a scratch area
    li r4, 10
    li r5, 0                     ; length
utoa_loop:
    remu r6, r1, r4
    addi r6, r6, '0'
    addi r3, r3, -1
    sb r6, [r3]
    addi r5, r5, 1
    divu r1, r1, r4
    bnez r1, utoa_loop
    mov r1, r5                   ; copy forward into the caller's buffer
utoa_copy:
    beqz r5, utoa_done
    lbu r6, [r3]
    sb r6, [r2]
    addi r3, r3, 1
    addi r2, r2, 1
    addi r5, r5, -1
    jmp utoa_copy
utoa_done:
    ret

; putu: print r1 (unsigned) in decimal
putu:
    li r2, lib_numbuf
    call utoa
    mov r2, r1
    li r1, lib_numbuf
    jmp putsn                    ; tail call

; putx: print r1 as 8 hex digits
putx:
    li r3, 28
putx_loop:
    shr r4, r1, r3
    andi r4, r4, 15
    li r5, 10
    blt r4, r5, putx_digit
    addi r4, r4, 'a' - 10 - '0'
putx_digit:
    addi r4, r4, '0'
    out CONSOLE, r4
    beqz r3, putx_done
    addi r3, r3, -4
    jmp putx_loop
putx_done:
    ret

; memeq: r1 = 1 if the r3 bytes at r1 and r2 are equal, else 0
memeq:
    beqz r3, memeq_yes
    lbu r4, [r1]
    lbu r5, [r2]
    bne r4, r5, memeq_no
    addi r1, r1, 1
    addi r2, r2, 1
    addi r3, r3, -1
    jmp memeq
memeq_yes:
    li r1, 1
    ret
memeq_no:
    li r1, 0
    ret

; memcpy: copy r3 bytes from r2 to r1; returns r1 = the end of the copy (r1 + r3)
memcpy:
    beqz r3, memcpy_done
    lbu r4, [r2]
    sb r4, [r1]
    addi r1, r1, 1
    addi r2, r2, 1
    addi r3, r3, -1
    jmp memcpy
memcpy_done:
    ret

; atou: parse the r2 decimal digits at r1; returns the value in r1, and r2 = 1 if there was
; at least one character and all were digits (else 0)
atou:
    li r3, 0
    li r6, 0
    beqz r2, atou_done
    li r6, 1
    li r5, 10
atou_loop:
    beqz r2, atou_done
    lbu r4, [r1]
    addi r4, r4, -'0'
    bltu r4, r5, atou_digit      ; unsigned: catches characters below '0' too
    li r6, 0
    jmp atou_done
atou_digit:
    mul r3, r3, r5
    add r3, r3, r4
    addi r1, r1, 1
    addi r2, r2, -1
    jmp atou_loop
atou_done:
    mov r1, r3
    mov r2, r6
    ret

lib_digits: .space 12
lib_numbuf: .space 12
    .align 4
`;
