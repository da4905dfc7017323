;; @module kernels/reflectivity/abeles.wat
;; WebAssembly SIMD (f64x2) port of the Parratt/Névot–Croce kernel in ./abeles.ts: two Q
;; points per vector. Assembled by scripts/build-wasm.ts (the wabt npm package) into
;; ./abelesWasm.generated.ts; loaded by ./abelesWasm.ts.
;;
;; Units: Q in Å⁻¹, thickness and roughness in Å, SLD in 10⁻⁶ Å⁻² (the slab table of abeles.ts).
;;
;; Same numbers as abeles.ts, bit for bit: every operation is the scalar kernel's, in the same
;; order (WebAssembly has no fused multiply–add): the same square roots and divisions, the same
;; Taylor shortcuts, the same Cody–Waite reduction and fdlibm minimax polynomials for the layer
;; phase; Math.exp and Math.sin/Math.cos (V8's fdlibm ports) become exact f64x2 ports of
;; fdlibm's __ieee754_exp and of __kernel_sin/__kernel_cos (|x| ≤ π/4). Where the scalar kernel
;; branches per point (Taylor or not, series or root) both lanes' sides are computed and
;; selected; when the two lanes agree only one side is computed.
;;
;; Two cases are left to the scalar kernel, signalled by a return value of 1: a Névot–Croce
;; phase |2σ²·Im(k_j k_{j+1})| > π/4 (fdlibm reduces such arguments by π/2 first) and a layer
;; phase 2·Re(k)·d ≥ 1e6 (abeles.ts calls Math.cos/sin there).
;;
;; Speed: each interface runs as four passes over all point pairs (roots, a + b, a − b and the
;; layer phase; the Névot–Croce exp; its phase and g(a − b); the recursion): the pairs are
;; independent, so the processor overlaps them instead of waiting on one long chain of exp,
;; square roots and divisions; k, r and the interface's terms wait in a work area. The helper
;; functions are written inline (V8 does not inline wasm calls, and a call spills every vector
;; register); constants are immutable globals (V8 loads them once per loop, a v128.const is rebuilt
;; from immediates at every use); lane tests use i64x2.bitmask (one movmskpd, where
;; all_true/any_true cost five to seven instructions).
;;
;; Memory (byte offsets from the caller, 16-byte aligned): the slab table (rows × 4 f64), a
;; per-medium table (rows × 4 f64: vr, vi, d, rf), the Q points padded to an even count, the
;; output (same length) and the work area (160 bytes per pair: k, r, and the interface's g(a − b),
;; a + b and P for the second pass).
(module
  (memory (export "memory") 1)

  ;; constants (immutable globals: V8 loads each once per call, outside the loops)
  (global $half v128 (v128.const f64x2 0.5 0.5))
  (global $one v128 (v128.const f64x2 1 1))
  (global $two v128 (v128.const f64x2 2 2))
  (global $signMask v128 (v128.const i64x2 0x8000000000000000 0x8000000000000000))
  ;; fdlibm e_exp.c
  (global $invln2 v128 (v128.const f64x2 1.44269504088896338700e+00 1.44269504088896338700e+00))
  (global $ln2hi v128 (v128.const f64x2 6.93147180369123816490e-01 6.93147180369123816490e-01))
  (global $ln2lo v128 (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10))
  (global $P1 v128 (v128.const f64x2 1.66666666666666019037e-01 1.66666666666666019037e-01))
  (global $P2 v128 (v128.const f64x2 -2.77777777770155933842e-03 -2.77777777770155933842e-03))
  (global $P3 v128 (v128.const f64x2 6.61375632143793436117e-05 6.61375632143793436117e-05))
  (global $P4 v128 (v128.const f64x2 -1.65339022054652515390e-06 -1.65339022054652515390e-06))
  (global $P5 v128 (v128.const f64x2 4.13813679705723846039e-08 4.13813679705723846039e-08))
  (global $oThreshold v128 (v128.const f64x2 7.09782712893383973096e+02 7.09782712893383973096e+02))
  (global $uThreshold v128 (v128.const f64x2 -7.45133219101941108420e+02 -7.45133219101941108420e+02))
  (global $twom1000 v128 (v128.const f64x2 9.33263618503218878990e-302 9.33263618503218878990e-302))
  ;; 1.5·2^52: t + magic holds the integer t in its low mantissa bits
  (global $magic v128 (v128.const f64x2 6755399441055744.0 6755399441055744.0))
  (global $thousand v128 (v128.const f64x2 1000 1000))
  (global $kMin v128 (v128.const f64x2 -1021 -1021))
  ;; |x| > 0.5·ln2 (high word > 0x3fd62e42): reduce; |x| < 2^−28 (high word < 0x3e300000): 1 + x
  (global $reduceBits v128 (v128.const i64x2 0x3fd62e4300000000 0x3fd62e4300000000))
  ;; exp's fast path: both lanes below 700 in magnitude
  (global $expFast v128 (v128.const f64x2 700 700))
  (global $tinyBits v128 (v128.const i64x2 0x3e30000000000000 0x3e30000000000000))
  ;; abeles.ts's shortcuts
  (global $seriesTol v128 (v128.const f64x2 1e-4 1e-4))
  (global $taylorTol v128 (v128.const f64x2 1e-2 1e-2))
  (global $inv6 v128 (v128.const f64x2 0.16666666666666666 0.16666666666666666))
  (global $inv24 v128 (v128.const f64x2 0.041666666666666664 0.041666666666666664))
  (global $inv120 v128 (v128.const f64x2 0.008333333333333333 0.008333333333333333))
  (global $inv720 v128 (v128.const f64x2 0.001388888888888889 0.001388888888888889))
  (global $inv5040 v128 (v128.const f64x2 0.0001984126984126984 0.0001984126984126984))
  ;; fdlibm k_sin.c / k_cos.c (also abeles.ts's layer-phase polynomials)
  (global $S1 v128 (v128.const f64x2 -1.66666666666666324348e-01 -1.66666666666666324348e-01))
  (global $S2 v128 (v128.const f64x2 8.33333333332248946124e-03 8.33333333332248946124e-03))
  (global $S3 v128 (v128.const f64x2 -1.98412698298579493134e-04 -1.98412698298579493134e-04))
  (global $S4 v128 (v128.const f64x2 2.75573137070700676789e-06 2.75573137070700676789e-06))
  (global $S5 v128 (v128.const f64x2 -2.50507602534068634195e-08 -2.50507602534068634195e-08))
  (global $S6 v128 (v128.const f64x2 1.58969099521155010221e-10 1.58969099521155010221e-10))
  (global $C1 v128 (v128.const f64x2 4.16666666666666019037e-02 4.16666666666666019037e-02))
  (global $C2 v128 (v128.const f64x2 -1.38888888888741095749e-03 -1.38888888888741095749e-03))
  (global $C3 v128 (v128.const f64x2 2.48015872894767294178e-05 2.48015872894767294178e-05))
  (global $C4 v128 (v128.const f64x2 -2.75573143513906633035e-07 -2.75573143513906633035e-07))
  (global $C5 v128 (v128.const f64x2 2.08757232129817482790e-09 2.08757232129817482790e-09))
  (global $C6 v128 (v128.const f64x2 -1.13596475577881948265e-11 -1.13596475577881948265e-11))
  ;; sin/cos: |x| ≤ π/4 (high word ≤ 0x3fe921fb) in the kernels; cos's qx by |x| < 0.3, > 0.78125
  (global $quarterPiBits v128 (v128.const i64x2 0x3fe921fc00000000 0x3fe921fc00000000))
  (global $cosSmallBits v128 (v128.const i64x2 0x3fd3333300000000 0x3fd3333300000000))
  (global $cosBigBits v128 (v128.const i64x2 0x3fe9000100000000 0x3fe9000100000000))
  (global $qxStep v128 (v128.const i64x2 0x0020000000000000 0x0020000000000000))
  (global $hiWord v128 (v128.const i64x2 0xffffffff00000000 0xffffffff00000000))
  (global $cosBigQx v128 (v128.const f64x2 0.28125 0.28125))
  ;; layer phase (abeles.ts): Cody–Waite by π/2 below 1e6
  (global $phaseMax v128 (v128.const f64x2 1e6 1e6))
  (global $twoOverPi v128 (v128.const f64x2 0.6366197723675814 0.6366197723675814))
  (global $pio2hi v128 (v128.const f64x2 1.5707963267341256 1.5707963267341256))
  (global $pio2lo v128 (v128.const f64x2 6.077100506303966e-11 6.077100506303966e-11))
  (global $ione v128 (v128.const i64x2 1 1))

  (func (export "reflectivity")
    (param $slabs i32) (param $rows i32) (param $tab i32) (param $q i32) (param $n i32) (param $out i32)
    (param $work i32) (param $scale f64) (param $background f64) (result i32)
    (local $j i32) (local $i i32) (local $pairs i32) (local $last i32) (local $rec i32) (local $w i32)
    (local $first i32)
    (local $front f64) (local $sigma f64) (local $fourPi f64) (local $vi f64) (local $rough f64) (local $d f64)
    (local $vrv v128) (local $viv v128) (local $halfY v128) (local $halfYY v128) (local $roughv v128) (local $dv v128)
    (local $flag v128)
    (local $kz0 v128) (local $kz0sq v128) (local $x v128) (local $ax v128) (local $pos v128) (local $m v128)
    (local $series v128) (local $t v128) (local $s v128)
    (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128) (local $rr v128) (local $ri v128)
    (local $nr v128) (local $ni v128) (local $sr v128) (local $si v128) (local $tr v128)
    (local $pr v128) (local $pi v128) (local $mag v128) (local $ang v128) (local $a2 v128) (local $small v128)
    (local $gr v128) (local $gi v128) (local $decay v128) (local $inv v128)
    (local $z v128) (local $z2 v128) (local $z4 v128) (local $quad v128) (local $qi v128)
    (local $even v128) (local $sign v128) (local $sinx v128) (local $cosx v128) (local $qx v128)
    (local $ur v128) (local $ui v128) (local $topR v128) (local $topI v128) (local $botR v128) (local $botI v128)
    ;; exp's argument, result and temporaries
    (local $ex v128) (local $ey v128) (local $eax v128) (local $et v128) (local $ehi v128) (local $elo v128)
    (local $er v128) (local $ez v128) (local $ec v128)

    ;; per-medium table: vr = 4π·1e-6·(ρ′ − ρ′₀), vi = 4π·1e-6·|ρ″| (0 for the fronting), d, rf = −2σ²
    (local.set $fourPi (f64.mul (f64.mul (f64.const 4) (f64.const 3.141592653589793)) (f64.const 1e-6)))
    (local.set $front (f64.load offset=8 (local.get $slabs)))
    (local.set $j (i32.const 0))
    (block $prepared
      (loop $prep
        (br_if $prepared (i32.ge_s (local.get $j) (local.get $rows)))
        (local.set $rec (i32.shl (local.get $j) (i32.const 5)))
        (f64.store (i32.add (local.get $tab) (local.get $rec))
          (f64.mul (local.get $fourPi)
            (f64.sub (f64.load offset=8 (i32.add (local.get $slabs) (local.get $rec))) (local.get $front))))
        (f64.store offset=8 (i32.add (local.get $tab) (local.get $rec))
          (select (f64.const 0)
            (f64.mul (local.get $fourPi) (f64.abs (f64.load offset=16 (i32.add (local.get $slabs) (local.get $rec)))))
            (i32.eqz (local.get $j))))
        (f64.store offset=16 (i32.add (local.get $tab) (local.get $rec))
          (f64.load (i32.add (local.get $slabs) (local.get $rec))))
        (local.set $sigma (f64.load offset=24 (i32.add (local.get $slabs) (local.get $rec))))
        (f64.store offset=24 (i32.add (local.get $tab) (local.get $rec))
          (f64.mul (f64.mul (f64.const -2) (local.get $sigma)) (local.get $sigma)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $prep)))
    (local.set $last (i32.sub (local.get $rows) (i32.const 1)))
    (local.set $pairs (i32.shr_u (i32.add (local.get $n) (i32.const 1)) (i32.const 1)))
    (local.set $flag (v128.const i64x2 0 0))

    ;; interfaces from the backing upwards; medium j + 1 below the interface, j above
    (local.set $j (local.get $last))
    (block $interfacesDone
      (loop $interface
        (br_if $interfacesDone (i32.lt_s (local.get $j) (i32.const 0)))
        (local.set $rec (i32.add (local.get $tab) (i32.shl (local.get $j) (i32.const 5))))
        (local.set $vrv (f64x2.splat (f64.load (local.get $rec))))
        (local.set $vi (f64.load offset=8 (local.get $rec)))
        (local.set $viv (f64x2.splat (local.get $vi)))
        (local.set $halfY (f64x2.splat (f64.mul (f64.const 0.5) (local.get $vi))))
        (local.set $halfYY (f64x2.splat (f64.mul (f64.mul (f64.const 0.5) (local.get $vi)) (local.get $vi))))
        (local.set $first (i32.eq (local.get $j) (i32.sub (local.get $last) (i32.const 1))))
        (if (i32.lt_s (local.get $j) (local.get $last))
          (then
            (local.set $rough (f64.load offset=56 (local.get $rec)))
            (local.set $roughv (f64x2.splat (local.get $rough)))
            (local.set $d (f64.load offset=48 (local.get $rec)))
            (local.set $dv (f64x2.splat (local.get $d)))))
        (local.set $i (i32.const 0))
        (block $pairsDone
          (loop $pair
            (br_if $pairsDone (i32.ge_u (local.get $i) (local.get $pairs)))
            (local.set $w (i32.add (local.get $work) (i32.mul (local.get $i) (i32.const 192))))
            (local.set $kz0
              (f64x2.mul (global.get $half) (v128.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 4))))))
            (local.set $kz0sq (f64x2.mul (local.get $kz0) (local.get $kz0)))
            ;; k_j: |kz0| in the fronting medium, else the principal root of (kz0² − vr) + i·vi
            ;; (Im k ≥ 0; for vi = 0 real when x ≥ 0, positive imaginary when x < 0)
            (if (i32.eqz (local.get $j))
              (then
                (local.set $ar (f64x2.abs (local.get $kz0)))
                (local.set $ai (v128.const i64x2 0 0)))
              (else
                (local.set $x (f64x2.sub (local.get $kz0sq) (local.get $vrv)))
                (local.set $ax (f64x2.abs (local.get $x)))
                (local.set $pos (f64x2.ge (local.get $x) (v128.const f64x2 0 0)))
                (if (f64.eq (local.get $vi) (f64.const 0))
                  (then
                    (local.set $t (f64x2.sqrt (local.get $ax)))
                    (local.set $ar (v128.and (local.get $t) (local.get $pos)))
                    (local.set $ai (v128.andnot (local.get $t) (local.get $pos))))
                  (else
                    ;; |x + iy|: for y ≤ 1e-4·|x| the series |x| + (y·y/2)/|x|
                    (local.set $series (f64x2.le (local.get $viv) (f64x2.mul (global.get $seriesTol) (local.get $ax))))
                    (if (i32.eq (i64x2.bitmask (local.get $series)) (i32.const 3))
                      (then
                        (local.set $m (f64x2.add (local.get $ax) (f64x2.div (local.get $halfYY) (local.get $ax)))))
                      (else
                        (local.set $m
                          (f64x2.sqrt
                            (f64x2.add (f64x2.mul (local.get $x) (local.get $x)) (f64x2.mul (local.get $viv) (local.get $viv)))))
                        (if (i64x2.bitmask (local.get $series))
                          (then
                            (local.set $m
                              (v128.bitselect
                                (f64x2.add (local.get $ax) (f64x2.div (local.get $halfYY) (local.get $ax)))
                                (local.get $m)
                                (local.get $series)))))))
                    ;; t = √((m + |x|)/2) (m + x for x ≥ 0, m − x for x < 0); the other part (y/2)/t
                    (local.set $t (f64x2.sqrt (f64x2.mul (global.get $half) (f64x2.add (local.get $m) (local.get $ax)))))
                    (local.set $s (f64x2.div (local.get $halfY) (local.get $t)))
                    (local.set $ar (v128.bitselect (local.get $t) (local.get $s) (local.get $pos)))
                    (local.set $ai (v128.bitselect (local.get $s) (local.get $t) (local.get $pos)))))))
            (if (i32.lt_s (local.get $j) (local.get $last))
              (then
                (local.set $br (v128.load (local.get $w)))
                (local.set $bi (v128.load offset=16 (local.get $w)))
                ;; g(a − b)
                (local.set $nr (f64x2.sub (local.get $ar) (local.get $br)))
                (local.set $ni (f64x2.sub (local.get $ai) (local.get $bi)))
                (if (f64.ne (local.get $rough) (f64.const 0))
                  (then
                    ;; Névot–Croce factor g = exp(−2σ² a b): its exponent and phase here, g in the pass after
                    (v128.store offset=160 (local.get $w)
                      (f64x2.mul (local.get $roughv)
                        (f64x2.sub (f64x2.mul (local.get $ar) (local.get $br)) (f64x2.mul (local.get $ai) (local.get $bi)))))
                    (v128.store offset=176 (local.get $w)
                      (f64x2.mul (local.get $roughv)
                        (f64x2.add (f64x2.mul (local.get $ar) (local.get $bi)) (f64x2.mul (local.get $ai) (local.get $br)))))))
                (v128.store offset=64 (local.get $w) (local.get $nr))
                (v128.store offset=80 (local.get $w) (local.get $ni))
                (v128.store offset=96 (local.get $w) (f64x2.add (local.get $ar) (local.get $br)))
                (v128.store offset=112 (local.get $w) (f64x2.add (local.get $ai) (local.get $bi)))
                (if (i32.eqz (local.get $first))
                  (then
                    ;; phase factor P = exp(2i k_{j+1} d_{j+1}), modulus exp(−2·Im k·d): Taylor below 1e-2
                    (local.set $decay (f64x2.mul (f64x2.mul (v128.const f64x2 -2 -2) (local.get $bi)) (local.get $dv)))
                ;; decay = 0 in both lanes (no absorption, above the edge): the series is 1 exactly
                (if (i32.eq (i64x2.bitmask (f64x2.eq (local.get $decay) (v128.const f64x2 0 0))) (i32.const 3))
                  (then
                    (local.set $mag (global.get $one)))
                  (else
                      (local.set $small (f64x2.lt (f64x2.abs (local.get $decay)) (global.get $taylorTol)))
                      (if (i64x2.bitmask (local.get $small))
                        (then
                          (local.set $mag
                            (f64x2.add (global.get $one)
                              (f64x2.mul (local.get $decay)
                                (f64x2.add (global.get $one)
                                  (f64x2.mul (local.get $decay)
                                    (f64x2.add (global.get $half)
                                      (f64x2.mul (local.get $decay)
                                        (f64x2.add (global.get $inv6)
                                          (f64x2.mul (local.get $decay)
                                            (f64x2.add (global.get $inv24)
                                              (f64x2.mul (local.get $decay)
                                                (f64x2.add (global.get $inv120)
                                                  (f64x2.mul (local.get $decay) (global.get $inv720))))))))))))))))
                      (if (i32.eqz (i32.eq (i64x2.bitmask (local.get $small)) (i32.const 3)))
                        (then
                          ;; ---- exp (fdlibm __ieee754_exp) of ex into ey: copy 2 of 2, as copy 1 ----
                          (local.set $ex (local.get $decay))
                          (local.set $eax (v128.andnot (local.get $ex) (global.get $signMask)))
                          (local.set $et
                            (v128.andnot
                              (f64x2.trunc
                                (f64x2.add (f64x2.mul (global.get $invln2) (local.get $ex))
                                  (v128.or (global.get $half) (v128.and (local.get $ex) (global.get $signMask)))))
                              (i64x2.lt_s (local.get $eax) (global.get $reduceBits))))
                          (local.set $ehi (f64x2.sub (local.get $ex) (f64x2.mul (local.get $et) (global.get $ln2hi))))
                          (local.set $elo (f64x2.mul (local.get $et) (global.get $ln2lo)))
                          (local.set $er (f64x2.sub (local.get $ehi) (local.get $elo)))
                          (local.set $ez (f64x2.mul (local.get $er) (local.get $er)))
                          (local.set $ec
                            (f64x2.sub (local.get $er)
                              (f64x2.mul (local.get $ez)
                                (f64x2.add (global.get $P1)
                                  (f64x2.mul (local.get $ez)
                                    (f64x2.add (global.get $P2)
                                      (f64x2.mul (local.get $ez)
                                        (f64x2.add (global.get $P3)
                                          (f64x2.mul (local.get $ez)
                                            (f64x2.add (global.get $P4) (f64x2.mul (local.get $ez) (global.get $P5))))))))))))
                          (local.set $ey
                            (f64x2.sub (global.get $one)
                              (f64x2.sub
                                (f64x2.sub (local.get $elo)
                                  (f64x2.div (f64x2.mul (local.get $er) (local.get $ec)) (f64x2.sub (global.get $two) (local.get $ec))))
                                (local.get $ehi))))
                          ;; both lanes in 2^−28 ≤ |x| < 700 (the usual case): y·2^k by adding k to the exponent bits
                          (if (i32.eq (i64x2.bitmask
                                (v128.andnot (f64x2.lt (local.get $eax) (global.get $expFast)) (i64x2.lt_s (local.get $eax) (global.get $tinyBits)))) (i32.const 3))
                            (then
                              (local.set $ey
                                (i64x2.add (local.get $ey) (i64x2.shl (f64x2.add (local.get $et) (global.get $magic)) (i32.const 52)))))
                            (else
                              ;; otherwise as fdlibm: below k = −1021 add k + 1000 and multiply by 2^−1000; tiny, overflow, underflow, NaN
                              (local.set $ey
                                (v128.bitselect
                                  (i64x2.add (local.get $ey)
                                    (i64x2.shl (f64x2.add (local.get $et) (global.get $magic)) (i32.const 52)))
                                  (f64x2.mul
                                    (i64x2.add (local.get $ey)
                                      (i64x2.shl (f64x2.add (f64x2.add (local.get $et) (global.get $thousand)) (global.get $magic)) (i32.const 52)))
                                    (global.get $twom1000))
                                  (f64x2.ge (local.get $et) (global.get $kMin))))
                              (local.set $ey
                                (v128.bitselect (f64x2.add (global.get $one) (local.get $ex)) (local.get $ey)
                                  (i64x2.lt_s (local.get $eax) (global.get $tinyBits))))
                              (local.set $ey
                                (v128.bitselect (v128.const f64x2 inf inf) (local.get $ey)
                                  (f64x2.gt (local.get $ex) (global.get $oThreshold))))
                              (local.set $ey (v128.andnot (local.get $ey) (f64x2.lt (local.get $ex) (global.get $uThreshold))))
                              (local.set $ey (v128.bitselect (local.get $ex) (local.get $ey) (f64x2.ne (local.get $ex) (local.get $ex))))))
                          ;; ---- end exp ----
                          (local.set $mag (v128.bitselect (local.get $mag) (local.get $ey) (local.get $small)))))))
                    ;; cos and sin of the phase angle: Cody–Waite by π/2, fdlibm polynomials (Estrin form)
                    (local.set $ang (f64x2.mul (f64x2.mul (global.get $two) (local.get $br)) (local.get $dv)))
                    (local.set $flag (v128.or (local.get $flag) (f64x2.ge (local.get $ang) (global.get $phaseMax))))
                    ;; Math.round: ceil, less one when ceil − 0.5 > v
                    (local.set $a2 (f64x2.mul (local.get $ang) (global.get $twoOverPi)))
                    (local.set $quad (f64x2.ceil (local.get $a2)))
                    (local.set $quad
                      (v128.bitselect (f64x2.sub (local.get $quad) (global.get $one)) (local.get $quad)
                        (f64x2.gt (f64x2.sub (local.get $quad) (global.get $half)) (local.get $a2))))
                    (local.set $x
                      (f64x2.sub
                        (f64x2.sub (local.get $ang) (f64x2.mul (local.get $quad) (global.get $pio2hi)))
                        (f64x2.mul (local.get $quad) (global.get $pio2lo))))
                    (local.set $z (f64x2.mul (local.get $x) (local.get $x)))
                    (local.set $z2 (f64x2.mul (local.get $z) (local.get $z)))
                    (local.set $z4 (f64x2.mul (local.get $z2) (local.get $z2)))
                    (local.set $sinx
                      (f64x2.add (local.get $x)
                        (f64x2.mul (f64x2.mul (local.get $x) (local.get $z))
                          (f64x2.add
                            (f64x2.add
                              (f64x2.add (global.get $S1) (f64x2.mul (local.get $z) (global.get $S2)))
                              (f64x2.mul (local.get $z2) (f64x2.add (global.get $S3) (f64x2.mul (local.get $z) (global.get $S4)))))
                            (f64x2.mul (local.get $z4) (f64x2.add (global.get $S5) (f64x2.mul (local.get $z) (global.get $S6))))))))
                    (local.set $cosx
                      (f64x2.add
                        (f64x2.sub (global.get $one) (f64x2.mul (global.get $half) (local.get $z)))
                        (f64x2.mul (local.get $z2)
                          (f64x2.add
                            (f64x2.add
                              (f64x2.add (global.get $C1) (f64x2.mul (local.get $z) (global.get $C2)))
                              (f64x2.mul (local.get $z2) (f64x2.add (global.get $C3) (f64x2.mul (local.get $z) (global.get $C4)))))
                            (f64x2.mul (local.get $z4) (f64x2.add (global.get $C5) (f64x2.mul (local.get $z) (global.get $C6))))))))
                    ;; rotate by quadrant·π/2: odd quadrants (cos, sin) → (−sin, cos); bit 1 negates both
                    (local.set $qi (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $quad))))
                    (local.set $even (i64x2.eq (v128.and (local.get $qi) (global.get $ione)) (v128.const i64x2 0 0)))
                    (local.set $sign (v128.and (i64x2.shl (local.get $qi) (i32.const 62)) (global.get $signMask)))
                    (local.set $pr
                      (v128.xor (local.get $sign)
                        (f64x2.mul (local.get $mag) (v128.bitselect (local.get $cosx) (f64x2.neg (local.get $sinx)) (local.get $even)))))
                    (local.set $pi
                      (v128.xor (local.get $sign)
                        (f64x2.mul (local.get $mag) (v128.bitselect (local.get $sinx) (local.get $cosx) (local.get $even)))))
                    (v128.store offset=128 (local.get $w) (local.get $pr))
                    (v128.store offset=144 (local.get $w) (local.get $pi))))))
            (v128.store (local.get $w) (local.get $ar))
            (v128.store offset=16 (local.get $w) (local.get $ai))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $pair)))
        ;; second pass: the Névot–Croce factor g = exp(−2σ² a b), its modulus first (a loop of exp only)
        (if (i32.and (i32.lt_s (local.get $j) (local.get $last)) (f64.ne (local.get $rough) (f64.const 0)))
          (then
            (local.set $i (i32.const 0))
            (block $roughened
              (loop $roughen
                (br_if $roughened (i32.ge_u (local.get $i) (local.get $pairs)))
                (local.set $w (i32.add (local.get $work) (i32.mul (local.get $i) (i32.const 192))))
                (local.set $ex (v128.load offset=160 (local.get $w)))
                ;; ---- exp (fdlibm __ieee754_exp) of ex into ey: copy 1 of 2 ----
                (local.set $eax (v128.andnot (local.get $ex) (global.get $signMask)))
                ;; k = (int)(invln2·x ± 0.5) when |x| > 0.5·ln2, else 0 (then hi = x, lo = 0: fdlibm's k = 0 formula)
                (local.set $et
                  (v128.andnot
                    (f64x2.trunc
                      (f64x2.add (f64x2.mul (global.get $invln2) (local.get $ex))
                        (v128.or (global.get $half) (v128.and (local.get $ex) (global.get $signMask)))))
                    (i64x2.lt_s (local.get $eax) (global.get $reduceBits))))
                (local.set $ehi (f64x2.sub (local.get $ex) (f64x2.mul (local.get $et) (global.get $ln2hi))))
                (local.set $elo (f64x2.mul (local.get $et) (global.get $ln2lo)))
                (local.set $er (f64x2.sub (local.get $ehi) (local.get $elo)))
                (local.set $ez (f64x2.mul (local.get $er) (local.get $er)))
                ;; c = r − z·(P1 + z·(P2 + z·(P3 + z·(P4 + z·P5))))
                (local.set $ec
                  (f64x2.sub (local.get $er)
                    (f64x2.mul (local.get $ez)
                      (f64x2.add (global.get $P1)
                        (f64x2.mul (local.get $ez)
                          (f64x2.add (global.get $P2)
                            (f64x2.mul (local.get $ez)
                              (f64x2.add (global.get $P3)
                                (f64x2.mul (local.get $ez)
                                  (f64x2.add (global.get $P4) (f64x2.mul (local.get $ez) (global.get $P5))))))))))))
                ;; y = 1 − ((lo − (r·c)/(2 − c)) − hi)
                (local.set $ey
                  (f64x2.sub (global.get $one)
                    (f64x2.sub
                      (f64x2.sub (local.get $elo)
                        (f64x2.div (f64x2.mul (local.get $er) (local.get $ec)) (f64x2.sub (global.get $two) (local.get $ec))))
                      (local.get $ehi))))
                ;; y·2^k by adding k to the exponent bits; below k = −1021: add k + 1000, times 2^−1000
                ;; both lanes in 2^−28 ≤ |x| < 700 (the usual case): y·2^k by adding k to the exponent bits
                (if (i32.eq (i64x2.bitmask
                      (v128.andnot (f64x2.lt (local.get $eax) (global.get $expFast)) (i64x2.lt_s (local.get $eax) (global.get $tinyBits)))) (i32.const 3))
                  (then
                    (local.set $ey
                      (i64x2.add (local.get $ey) (i64x2.shl (f64x2.add (local.get $et) (global.get $magic)) (i32.const 52)))))
                  (else
                    ;; otherwise as fdlibm: below k = −1021 add k + 1000 and multiply by 2^−1000; tiny, overflow, underflow, NaN
                    (local.set $ey
                      (v128.bitselect
                        (i64x2.add (local.get $ey)
                          (i64x2.shl (f64x2.add (local.get $et) (global.get $magic)) (i32.const 52)))
                        (f64x2.mul
                          (i64x2.add (local.get $ey)
                            (i64x2.shl (f64x2.add (f64x2.add (local.get $et) (global.get $thousand)) (global.get $magic)) (i32.const 52)))
                          (global.get $twom1000))
                        (f64x2.ge (local.get $et) (global.get $kMin))))
                    ;; |x| < 2^−28: 1 + x; overflow +∞; underflow 0; NaN stays NaN
                    (local.set $ey
                      (v128.bitselect (f64x2.add (global.get $one) (local.get $ex)) (local.get $ey)
                        (i64x2.lt_s (local.get $eax) (global.get $tinyBits))))
                    (local.set $ey
                      (v128.bitselect (v128.const f64x2 inf inf) (local.get $ey)
                        (f64x2.gt (local.get $ex) (global.get $oThreshold))))
                    (local.set $ey (v128.andnot (local.get $ey) (f64x2.lt (local.get $ex) (global.get $uThreshold))))
                    (local.set $ey (v128.bitselect (local.get $ex) (local.get $ey) (f64x2.ne (local.get $ex) (local.get $ex))))))
                ;; ---- end exp ----
                (v128.store offset=160 (local.get $w) (local.get $ey))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $roughen)))
            ;; then the factor's phase and g(a − b)
            (local.set $i (i32.const 0))
            (block $rough2ed
              (loop $rough2
                (br_if $rough2ed (i32.ge_u (local.get $i) (local.get $pairs)))
                (local.set $w (i32.add (local.get $work) (i32.mul (local.get $i) (i32.const 192))))
                (local.set $nr (v128.load offset=64 (local.get $w)))
                (local.set $ni (v128.load offset=80 (local.get $w)))
                (local.set $mag (v128.load offset=160 (local.get $w)))
                (local.set $ang (v128.load offset=176 (local.get $w)))
                ;; ang = 0 in both lanes (no absorption either side, above both edges): the series is 1 exactly
                (if (i32.eq (i64x2.bitmask (f64x2.eq (local.get $ang) (v128.const f64x2 0 0))) (i32.const 3))
                  (then
                    (local.set $gr (local.get $mag))
                    (local.set $gi (f64x2.mul (local.get $mag) (local.get $ang))))
                  (else
                  (local.set $ax (f64x2.abs (local.get $ang)))
                  (local.set $small (f64x2.lt (local.get $ax) (global.get $taylorTol)))
                  (if (i64x2.bitmask (local.get $small))
                    (then
                      ;; Taylor series to a2³ (|ang| < 1e-2)
                      (local.set $a2 (f64x2.mul (local.get $ang) (local.get $ang)))
                      (local.set $gr
                        (f64x2.mul (local.get $mag)
                          (f64x2.sub (global.get $one)
                            (f64x2.mul (local.get $a2)
                              (f64x2.sub (global.get $half)
                                (f64x2.mul (local.get $a2)
                                  (f64x2.sub (global.get $inv24) (f64x2.mul (local.get $a2) (global.get $inv720)))))))))
                      (local.set $gi
                        (f64x2.mul (f64x2.mul (local.get $mag) (local.get $ang))
                          (f64x2.sub (global.get $one)
                            (f64x2.mul (local.get $a2)
                              (f64x2.sub (global.get $inv6)
                                (f64x2.mul (local.get $a2)
                                  (f64x2.sub (global.get $inv120) (f64x2.mul (local.get $a2) (global.get $inv5040)))))))))))
                  (if (i32.eqz (i32.eq (i64x2.bitmask (local.get $small)) (i32.const 3)))
                    (then
                      ;; fdlibm __kernel_cos(x, 0), __kernel_sin(x, 0, 0) for |x| ≤ π/4, else the scalar kernel
                      (local.set $flag
                        (v128.or (local.get $flag)
                          (v128.andnot (i64x2.ge_s (local.get $ax) (global.get $quarterPiBits)) (local.get $small))))
                      (local.set $z (f64x2.mul (local.get $ang) (local.get $ang)))
                      ;; sin: x + (z·x)·(S1 + z·(S2 + z·(S3 + z·(S4 + z·(S5 + z·S6)))))
                      (local.set $sinx
                        (f64x2.add (local.get $ang)
                          (f64x2.mul (f64x2.mul (local.get $z) (local.get $ang))
                            (f64x2.add (global.get $S1)
                              (f64x2.mul (local.get $z)
                                (f64x2.add (global.get $S2)
                                  (f64x2.mul (local.get $z)
                                    (f64x2.add (global.get $S3)
                                      (f64x2.mul (local.get $z)
                                        (f64x2.add (global.get $S4)
                                          (f64x2.mul (local.get $z)
                                            (f64x2.add (global.get $S5) (f64x2.mul (local.get $z) (global.get $S6))))))))))))))
                      ;; cos: (1 − qx) − ((z/2 − qx) − z·r), r = z·(C1 + z·(C2 + … C6)); qx = 0 for |x| < 0.3,
                      ;; |x|/4 cut to its high word, 0.28125 for |x| > 0.78125
                      (local.set $qx
                        (v128.and
                          (v128.and (i64x2.sub (local.get $ax) (global.get $qxStep)) (global.get $hiWord))
                          (i64x2.ge_s (local.get $ax) (global.get $cosSmallBits))))
                      (local.set $qx
                        (v128.bitselect (global.get $cosBigQx) (local.get $qx)
                          (i64x2.ge_s (local.get $ax) (global.get $cosBigBits))))
                      (local.set $cosx
                        (f64x2.sub (f64x2.sub (global.get $one) (local.get $qx))
                          (f64x2.sub
                            (f64x2.sub (f64x2.mul (global.get $half) (local.get $z)) (local.get $qx))
                            (f64x2.mul (local.get $z)
                              (f64x2.mul (local.get $z)
                                (f64x2.add (global.get $C1)
                                  (f64x2.mul (local.get $z)
                                    (f64x2.add (global.get $C2)
                                      (f64x2.mul (local.get $z)
                                        (f64x2.add (global.get $C3)
                                          (f64x2.mul (local.get $z)
                                            (f64x2.add (global.get $C4)
                                              (f64x2.mul (local.get $z)
                                                (f64x2.add (global.get $C5) (f64x2.mul (local.get $z) (global.get $C6))))))))))))))))
                      (local.set $cosx (f64x2.mul (local.get $mag) (local.get $cosx)))
                      (local.set $sinx (f64x2.mul (local.get $mag) (local.get $sinx)))
                      (if (i64x2.bitmask (local.get $small))
                        (then
                          (local.set $gr (v128.bitselect (local.get $gr) (local.get $cosx) (local.get $small)))
                          (local.set $gi (v128.bitselect (local.get $gi) (local.get $sinx) (local.get $small))))
                        (else
                          (local.set $gr (local.get $cosx))
                          (local.set $gi (local.get $sinx))))))))
                (local.set $tr
                  (f64x2.sub (f64x2.mul (local.get $nr) (local.get $gr)) (f64x2.mul (local.get $ni) (local.get $gi))))
                (local.set $ni
                  (f64x2.add (f64x2.mul (local.get $nr) (local.get $gi)) (f64x2.mul (local.get $ni) (local.get $gr))))
                (local.set $nr (local.get $tr))
        (v128.store offset=64 (local.get $w) (local.get $nr))
        (v128.store offset=80 (local.get $w) (local.get $ni))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rough2)))))
        ;; third pass: r_j = (g(a − b) + (a + b)u) / ((a + b) + g(a − b)u), u = r_{j+1}·P (r = f at the first interface)
        (if (i32.lt_s (local.get $j) (local.get $last))
          (then
            (local.set $i (i32.const 0))
            (block $recursed
              (loop $recurse
                (br_if $recursed (i32.ge_u (local.get $i) (local.get $pairs)))
                (local.set $w (i32.add (local.get $work) (i32.mul (local.get $i) (i32.const 192))))
                (local.set $nr (v128.load offset=64 (local.get $w)))
                (local.set $ni (v128.load offset=80 (local.get $w)))
                (local.set $sr (v128.load offset=96 (local.get $w)))
                (local.set $si (v128.load offset=112 (local.get $w)))
                (if (local.get $first)
                  (then
            ;; first interface from the bottom: r = f
            (local.set $inv
              (f64x2.div (global.get $one)
                (f64x2.add (f64x2.mul (local.get $sr) (local.get $sr)) (f64x2.mul (local.get $si) (local.get $si)))))
            (local.set $rr
              (f64x2.mul
                (f64x2.add (f64x2.mul (local.get $nr) (local.get $sr)) (f64x2.mul (local.get $ni) (local.get $si)))
                (local.get $inv)))
            (local.set $ri
              (f64x2.mul
                (f64x2.sub (f64x2.mul (local.get $ni) (local.get $sr)) (f64x2.mul (local.get $nr) (local.get $si)))
                (local.get $inv)))
            (v128.store offset=32 (local.get $w) (local.get $rr))
            (v128.store offset=48 (local.get $w) (local.get $ri)))
        (else
          (local.set $pr (v128.load offset=128 (local.get $w)))
          (local.set $pi (v128.load offset=144 (local.get $w)))
            ;; u = r_{j+1}·P
            (local.set $rr (v128.load offset=32 (local.get $w)))
            (local.set $ri (v128.load offset=48 (local.get $w)))
            (local.set $ur
              (f64x2.sub (f64x2.mul (local.get $rr) (local.get $pr)) (f64x2.mul (local.get $ri) (local.get $pi))))
            (local.set $ui
              (f64x2.add (f64x2.mul (local.get $rr) (local.get $pi)) (f64x2.mul (local.get $ri) (local.get $pr))))
            ;; (g(a − b) + (a + b)u) / ((a + b) + g(a − b)u)
            (local.set $topR
              (f64x2.sub (f64x2.add (local.get $nr) (f64x2.mul (local.get $sr) (local.get $ur))) (f64x2.mul (local.get $si) (local.get $ui))))
            (local.set $topI
              (f64x2.add (f64x2.add (local.get $ni) (f64x2.mul (local.get $sr) (local.get $ui))) (f64x2.mul (local.get $si) (local.get $ur))))
            (local.set $botR
              (f64x2.sub (f64x2.add (local.get $sr) (f64x2.mul (local.get $nr) (local.get $ur))) (f64x2.mul (local.get $ni) (local.get $ui))))
            (local.set $botI
              (f64x2.add (f64x2.add (local.get $si) (f64x2.mul (local.get $nr) (local.get $ui))) (f64x2.mul (local.get $ni) (local.get $ur))))
            (local.set $inv
              (f64x2.div (global.get $one)
                (f64x2.add (f64x2.mul (local.get $botR) (local.get $botR)) (f64x2.mul (local.get $botI) (local.get $botI)))))
            (local.set $rr
              (f64x2.mul
                (f64x2.add (f64x2.mul (local.get $topR) (local.get $botR)) (f64x2.mul (local.get $topI) (local.get $botI)))
                (local.get $inv)))
            (local.set $ri
              (f64x2.mul
                (f64x2.sub (f64x2.mul (local.get $topI) (local.get $botR)) (f64x2.mul (local.get $topR) (local.get $botI)))
                (local.get $inv)))
            (v128.store offset=32 (local.get $w) (local.get $rr))
            (v128.store offset=48 (local.get $w) (local.get $ri))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $recurse)))))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $interface)))

    ;; R = scale·|r|² + background; Q = 0 gives scale + background
    (local.set $i (i32.const 0))
    (block $written
      (loop $write
        (br_if $written (i32.ge_u (local.get $i) (local.get $pairs)))
        (local.set $w (i32.add (local.get $work) (i32.mul (local.get $i) (i32.const 192))))
        (local.set $rr (v128.load offset=32 (local.get $w)))
        (local.set $ri (v128.load offset=48 (local.get $w)))
        (local.set $kz0
          (f64x2.mul (global.get $half) (v128.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 4))))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 4)))
          (v128.bitselect
            (f64x2.splat (f64.add (local.get $scale) (local.get $background)))
            (f64x2.add
              (f64x2.mul (f64x2.splat (local.get $scale))
                (f64x2.add (f64x2.mul (local.get $rr) (local.get $rr)) (f64x2.mul (local.get $ri) (local.get $ri))))
              (f64x2.splat (local.get $background)))
            (f64x2.eq (f64x2.mul (local.get $kz0) (local.get $kz0)) (v128.const f64x2 0 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $write)))
    (i64x2.bitmask (local.get $flag))
  )
)
