package main

import (
	"testing"

	"example.org/tinymath"
)

func TestDoubleFromTheVendoredModule(t *testing.T) {
	if got := tinymath.Double(4); got != 8 {
		t.Fatalf("Double(4) = %d", got)
	}
}
