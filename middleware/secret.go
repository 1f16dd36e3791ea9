package middleware

import (
	"encoding/json"
	"fmt"

	"github.com/rs/zerolog"
)

// Secret is a credential that prints as Redacted: with every fmt verb, as
// JSON or text, as a map key, and as a zerolog field or object. Reveal
// returns its value. Make one with NewSecret; the zero value is empty.
//
// The value sits behind a pointer, so that even the verbs for which fmt
// skips the Format method, %p and %T, and printing through reflection,
// show at most an address.
type Secret struct {
	value *string
}

// NewSecret returns a Secret holding value.
func NewSecret(value string) Secret { return Secret{value: &value} }

// Reveal returns the secret's value, for the code that sends it.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// String returns Redacted.
func (s Secret) String() string { return Redacted }

// GoString returns Redacted, quoted, for the %#v verb.
func (s Secret) GoString() string { return fmt.Sprintf("%q", Redacted) }

// Format prints Redacted for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		fmt.Fprintf(f, "%q", Redacted)
		return
	}
	fmt.Fprint(f, Redacted)
}

// MarshalJSON encodes Redacted.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText encodes Redacted.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// HeaderAuthConfig holds the credentials of HeaderAuth in a form that
// prints redacted, so that logging a configuration cannot leak them.
type HeaderAuthConfig struct {
	// ID is sent as the api-auth-id header.
	ID Secret
	// Signature is sent as the api-auth-signature header.
	Signature Secret
}

// String returns the configuration with both values Redacted.
func (c HeaderAuthConfig) String() string {
	return fmt.Sprintf("HeaderAuthConfig{ID: %s, Signature: %s}", Redacted, Redacted)
}

// GoString returns the configuration with both values Redacted.
func (c HeaderAuthConfig) GoString() string {
	return fmt.Sprintf("middleware.HeaderAuthConfig{ID: %q, Signature: %q}", Redacted, Redacted)
}

// MarshalZerologObject writes both fields as Redacted.
func (c HeaderAuthConfig) MarshalZerologObject(e *zerolog.Event) {
	e.Str("id", Redacted).Str("signature", Redacted)
}

// Middleware returns the HeaderAuth middleware for these credentials.
func (c HeaderAuthConfig) Middleware() (Middleware, error) {
	return HeaderAuth(c.ID.Reveal(), c.Signature.Reveal())
}
