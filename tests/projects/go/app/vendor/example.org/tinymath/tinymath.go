// Package tinymath is vendored into the sandbox's go workflow test.
package tinymath

// Double returns twice n.
func Double(n int) int { return 2 * n }
