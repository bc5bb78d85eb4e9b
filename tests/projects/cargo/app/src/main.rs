fn main() {
    println!("{}", tiny_sum::sum(&[1, 2, 3]));
}

#[cfg(test)]
mod tests {
    #[test]
    fn sums_with_the_vendored_crate() {
        assert_eq!(tiny_sum::sum(&[2, 3, 4]), 9);
    }
}
