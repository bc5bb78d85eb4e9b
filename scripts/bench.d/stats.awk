# stats.awk: per-label median, min, max and count of the samples in a TSV.
# input:  LABEL<TAB>ROUND<TAB>VALUE   (what tests/bench/timeloop prints)
# output: LABEL<TAB>MEDIAN<TAB>MIN<TAB>MAX<TAB>N, labels in first-seen order, values divided
#         by -v scale=S (default 1; 1e6 turns nanoseconds into milliseconds).
BEGIN { FS = OFS = "\t"; if (scale == "") scale = 1 }
NF >= 3 {
  if (!($1 in n)) { order[++labels] = $1; n[$1] = 0 }
  v[$1, ++n[$1]] = $3 / scale
}
END {
  for (l = 1; l <= labels; l++) {
    name = order[l]; c = n[name]
    for (i = 1; i <= c; i++) a[i] = v[name, i]
    # insertion sort: a few hundred samples at most
    for (i = 2; i <= c; i++) {
      x = a[i]; j = i - 1
      while (j >= 1 && a[j] > x) { a[j + 1] = a[j]; j-- }
      a[j + 1] = x
    }
    med = (c % 2) ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
    printf "%s\t%.6f\t%.6f\t%.6f\t%d\n", name, med, a[1], a[c], c
  }
}
