package redis

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Values cross the wire in two shapes. sockgate keeps event arguments as JSON text with
// Socket.IO binary placeholders ({"_placeholder":true,"num":n}) plus a list of attachments;
// Node's adapters write them as msgpack (notepack.io), where binary values are msgpack bin
// and Dates the timestamp extension -1. The two functions below convert between the shapes
// without going through Go maps, so that object keys keep their order.

// maxDepth bounds the nesting of decoded values: input comes from the network.
const maxDepth = 128

var errTooDeep = errors.New("redis adapter: value nested too deeply")

// jsonToMsgpack writes the JSON value data to enc, replacing placeholders by the
// attachments they stand for.
func jsonToMsgpack(enc *msgpack.Encoder, data []byte, atts [][]byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readJSON(dec, 0)
	if err != nil {
		return err
	}
	return writeMsgpack(enc, v, atts, 0)
}

// jvalue is a decoded JSON value: nil, bool, json.Number, string, []jvalue or jobject.
type jvalue = any

// jobject is a JSON object with its keys in order.
type jobject []jfield

type jfield struct {
	key string
	val jvalue
}

func readJSON(dec *json.Decoder, depth int) (jvalue, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			arr := []jvalue{}
			for dec.More() {
				v, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		case '{':
			obj := jobject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj = append(obj, jfield{k, v})
			}
			_, err := dec.Token()
			return obj, err
		}
		return nil, fmt.Errorf("redis adapter: unexpected %v in JSON", t)
	default:
		return tok, nil
	}
}

// placeholder returns the attachment index an object stands for, if it is a placeholder.
func placeholder(o jobject) (int, bool) {
	if len(o) != 2 {
		return 0, false
	}
	var isPH bool
	num := -1
	for _, f := range o {
		switch f.key {
		case "_placeholder":
			isPH = f.val == true
		case "num":
			if n, ok := f.val.(json.Number); ok {
				if i, err := strconv.Atoi(string(n)); err == nil {
					num = i
				}
			}
		}
	}
	return num, isPH && num >= 0
}

func writeMsgpack(enc *msgpack.Encoder, v jvalue, atts [][]byte, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	switch t := v.(type) {
	case nil:
		return enc.EncodeNil()
	case bool:
		return enc.EncodeBool(t)
	case string:
		return enc.EncodeString(t)
	case json.Number:
		return writeNumber(enc, string(t))
	case []jvalue:
		if err := enc.EncodeArrayLen(len(t)); err != nil {
			return err
		}
		for _, e := range t {
			if err := writeMsgpack(enc, e, atts, depth+1); err != nil {
				return err
			}
		}
		return nil
	case jobject:
		if n, ok := placeholder(t); ok {
			if n >= len(atts) {
				return fmt.Errorf("redis adapter: placeholder %d without attachment", n)
			}
			return enc.EncodeBytes(atts[n])
		}
		if err := enc.EncodeMapLen(len(t)); err != nil {
			return err
		}
		for _, f := range t {
			if err := enc.EncodeString(f.key); err != nil {
				return err
			}
			if err := writeMsgpack(enc, f.val, atts, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("redis adapter: unexpected JSON value %T", v)
}

// writeNumber writes integers in their smallest form and everything else as float64, as
// notepack.io does.
func writeNumber(enc *msgpack.Encoder, s string) error {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return enc.EncodeInt(i)
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return enc.EncodeUint(u)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("redis adapter: number %q: %w", s, err)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return enc.EncodeInt(int64(f))
	}
	return enc.EncodeFloat64(f)
}

// msgpackToJSON reads one msgpack value from r and appends its JSON form to buf. Binary
// values become placeholders and are appended to *atts; timestamps become ISO 8601 strings,
// as JSON.stringify writes a Date. Declared lengths are checked against the bytes left
// before anything is allocated.
func msgpackToJSON(r *bytes.Reader, dec *msgpack.Decoder, buf []byte, atts *[][]byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	c, err := dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := dec.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		if n > r.Len() {
			return nil, errTruncated
		}
		buf = append(buf, '{')
		for i := 0; i < n; i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			k, err := readKey(r, dec)
			if err != nil {
				return nil, err
			}
			buf = appendJSONString(buf, k)
			buf = append(buf, ':')
			if buf, err = msgpackToJSON(r, dec, buf, atts, depth+1); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		if n > r.Len() {
			return nil, errTruncated
		}
		buf = append(buf, '[')
		for i := 0; i < n; i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = msgpackToJSON(r, dec, buf, atts, depth+1); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case msgpcode.IsBin(c):
		b, err := readRaw(r, dec)
		if err != nil {
			return nil, err
		}
		*atts = append(*atts, b)
		buf = append(buf, `{"_placeholder":true,"num":`...)
		buf = strconv.AppendInt(buf, int64(len(*atts)-1), 10)
		return append(buf, '}'), nil
	case msgpcode.IsString(c):
		b, err := readRaw(r, dec)
		if err != nil {
			return nil, err
		}
		return appendJSONString(buf, string(b)), nil
	case msgpcode.IsExt(c):
		id, n, err := dec.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		if n > r.Len() {
			return nil, errTruncated
		}
		b := make([]byte, n)
		if err := dec.ReadFull(b); err != nil {
			return nil, err
		}
		if t, ok := timestamp(id, b); ok {
			return appendJSONString(buf, t.UTC().Format("2006-01-02T15:04:05.000Z")), nil
		}
		// notepack.io 2.x wrote ArrayBuffers as extension 0; other extensions have no
		// JSON form.
		if id == 0 {
			*atts = append(*atts, b)
			buf = append(buf, `{"_placeholder":true,"num":`...)
			buf = strconv.AppendInt(buf, int64(len(*atts)-1), 10)
			return append(buf, '}'), nil
		}
		return append(buf, "null"...), nil
	}
	v, err := dec.DecodeInterfaceLoose()
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, t), nil
	case int64:
		return strconv.AppendInt(buf, t, 10), nil
	case uint64:
		return strconv.AppendUint(buf, t, 10), nil
	case float64:
		return appendFloat(buf, t), nil
	case float32:
		return appendFloat(buf, float64(t)), nil
	}
	return nil, fmt.Errorf("redis adapter: unexpected msgpack value %T", v)
}

var errTruncated = errors.New("redis adapter: msgpack length beyond the message")

// readRaw reads a str or bin value without trusting its declared length.
func readRaw(r *bytes.Reader, dec *msgpack.Decoder) ([]byte, error) {
	n, err := dec.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return []byte{}, nil
	}
	if n > r.Len() {
		return nil, errTruncated
	}
	b := make([]byte, n)
	if err := dec.ReadFull(b); err != nil {
		return nil, err
	}
	return b, nil
}

// readKey reads a map key: a string, or a number, boolean or nil written as text.
func readKey(r *bytes.Reader, dec *msgpack.Decoder) (string, error) {
	c, err := dec.PeekCode()
	if err != nil {
		return "", err
	}
	if msgpcode.IsString(c) || msgpcode.IsBin(c) {
		b, err := readRaw(r, dec)
		return string(b), err
	}
	if msgpcode.IsExt(c) || msgpcode.IsFixedMap(c) || msgpcode.IsFixedArray(c) ||
		c == msgpcode.Map16 || c == msgpcode.Map32 || c == msgpcode.Array16 || c == msgpcode.Array32 {
		return "", errors.New("redis adapter: unsupported msgpack map key")
	}
	k, err := dec.DecodeInterfaceLoose()
	if err != nil {
		return "", err
	}
	return keyString(k), nil
}

// timestamp decodes the msgpack timestamp extension (-1) in its 32, 64 and 96-bit forms.
func timestamp(id int8, b []byte) (time.Time, bool) {
	if id != -1 {
		return time.Time{}, false
	}
	switch len(b) {
	case 4:
		return time.Unix(int64(binary.BigEndian.Uint32(b)), 0), true
	case 8:
		v := binary.BigEndian.Uint64(b)
		return time.Unix(int64(v&0x3ffffffff), int64(v>>34)), true
	case 12:
		return time.Unix(int64(binary.BigEndian.Uint64(b[4:])), int64(binary.BigEndian.Uint32(b))), true
	}
	return time.Time{}, false
}

func keyString(k any) string {
	switch t := k.(type) {
	case string:
		return t
	case []byte:
		return string(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case uint64:
		return strconv.FormatUint(t, 10)
	case float64:
		return string(appendFloat(nil, t))
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return "null"
	}
	return fmt.Sprint(k)
}

// appendFloat writes f as JSON.stringify does; NaN and infinities become null.
func appendFloat(buf []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(buf, "null"...)
	}
	b, _ := json.Marshal(f)
	return append(buf, b...)
}

func appendJSONString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s)
	return append(buf, b...)
}

// decodeMessage turns a message from Redis into JSON plus attachments: JSON (first byte
// '{') is kept as is, anything else is read as msgpack.
func decodeMessage(msg []byte) ([]byte, [][]byte, error) {
	if len(msg) == 0 {
		return nil, nil, errors.New("redis adapter: empty message")
	}
	if msg[0] == '{' {
		if !json.Valid(msg) {
			return nil, nil, errors.New("redis adapter: malformed JSON message")
		}
		return msg, nil, nil
	}
	r := bytes.NewReader(msg)
	dec := msgpack.NewDecoder(r)
	var atts [][]byte
	out, err := msgpackToJSON(r, dec, make([]byte, 0, len(msg)+len(msg)/2), &atts, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("redis adapter: malformed msgpack message: %w", err)
	}
	return out, atts, nil
}
