package sturdy

import (
	"bytes"
	"errors"
	"io"
	"sync"
)

// maxPooledBody caps the buffers that bufferedBody returns to its pool,
// so that one large response does not keep its memory alive.
const maxPooledBody = 64 << 10

var bodyPool = sync.Pool{
	New: func() any {
		b := make([]byte, 0, 4096)
		return &b
	},
}

// errBodyClosed is the error of a read from a bufferedBody after Close.
var errBodyClosed = errors.New("sturdy: read from a closed response body")

// bufferedBody is a response body read into a pooled buffer. Close
// returns the buffer to the pool, after which reads fail.
type bufferedBody struct {
	reader bytes.Reader
	buf    *[]byte
}

// readFrom reads r into a buffer from the pool, to the end or, when limit
// is above 0, until it holds limit+1 bytes. It reports whether it reached
// the end. On an error it keeps nothing.
func (b *bufferedBody) readFrom(r io.Reader, limit int64) (complete bool, err error) {
	buf := bodyPool.Get().(*[]byte)
	data := (*buf)[:0]
	for {
		if limit > 0 && int64(len(data)) > limit {
			break
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		// Read no further than limit+1 bytes. The loop has stopped once
		// len(data) passed limit, so limit+1 is within cap(data) here and
		// cannot overflow.
		end := cap(data)
		if limit > 0 && limit < int64(end) {
			end = int(limit) + 1
		}
		n, err := r.Read(data[len(data):end])
		data = data[:len(data)+n]
		if err == io.EOF {
			complete = true
			break
		}
		if err != nil {
			*buf = data
			putBuffer(buf)
			return false, err
		}
	}
	*buf = data
	b.buf = buf
	b.reader.Reset(data)
	return complete, nil
}

func (b *bufferedBody) Read(p []byte) (int, error) {
	if b.buf == nil {
		return 0, errBodyClosed
	}
	return b.reader.Read(p)
}

func (b *bufferedBody) Close() error {
	if b.buf != nil {
		putBuffer(b.buf)
		b.buf = nil
		b.reader.Reset(nil)
	}
	return nil
}

func putBuffer(buf *[]byte) {
	if cap(*buf) <= maxPooledBody {
		*buf = (*buf)[:0]
		bodyPool.Put(buf)
	}
}

// prefixedBody is a response body whose start is buffered and whose rest
// is still unread. It reads the buffered start, then the rest. Close
// closes the rest and releases the buffer.
type prefixedBody struct {
	io.Reader
	buffered *bufferedBody
	rest     io.ReadCloser
}

func newPrefixedBody(buffered *bufferedBody, rest io.ReadCloser) *prefixedBody {
	return &prefixedBody{Reader: io.MultiReader(buffered, rest), buffered: buffered, rest: rest}
}

func (p *prefixedBody) Close() error {
	err := p.rest.Close()
	p.buffered.Close()
	return err
}
