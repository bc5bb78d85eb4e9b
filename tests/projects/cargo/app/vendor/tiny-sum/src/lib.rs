pub fn sum(values: &[i64]) -> i64 {
    values.iter().sum()
}
