package main

import (
	"fmt"

	"example.org/tinymath"
)

func main() {
	fmt.Println(tinymath.Double(21))
}
