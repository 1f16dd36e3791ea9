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

// readFrom reads r to the end into a buffer from the pool.
func (b *bufferedBody) readFrom(r io.Reader) error {
	buf := bodyPool.Get().(*[]byte)
	data := (*buf)[:0]
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*buf = data
			putBuffer(buf)
			return err
		}
	}
	*buf = data
	b.buf = buf
	b.reader.Reset(data)
	return nil
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
