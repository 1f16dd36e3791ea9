package middleware

// AppendPlainURL exposes appendPlainURL to the tests of this package.
var AppendPlainURL = appendPlainURL
