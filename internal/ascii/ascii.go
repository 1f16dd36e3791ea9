// Package ascii compares the names that HTTP defines as case-insensitive
// in ASCII only, such as header names, schemes and host names.
package ascii

// EqualFold reports whether a and b are equal when ASCII letters are
// compared without case. Other bytes must match exactly, so names that
// Unicode case folding would equate, such as "ſ" and "s" or "σ" and
// "ς", stay different.
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
