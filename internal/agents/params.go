package agents

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/text"
)

// ValidateParameters checks params against schema, the subset of JSON
// Schema agents declare: an object whose properties have a type (number,
// integer, string or boolean), optionally minimum and maximum (numbers),
// and a default. Properties the schema does not declare are refused. It
// returns the parameters with defaults filled in, integers as int64 and
// numbers as float64.
//
// Errors are BAD_USER_INPUT naming the parameter ("parameters.days").
func ValidateParameters(schema map[string]any, params map[string]any) (map[string]any, error) {
	props, _ := schema["properties"].(map[string]any)
	out := map[string]any{}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := props[name]; !ok {
			return nil, apperr.Invalid("parameters."+text.Shorten(name, 40), "This agent has no parameter %q.", text.Shorten(name, 40))
		}
	}
	keys := make([]string, 0, len(props))
	for name := range props {
		keys = append(keys, name)
	}
	slices.Sort(keys)
	for _, name := range keys {
		prop, _ := props[name].(map[string]any)
		v, given := params[name]
		if !given || v == nil {
			if d, ok := prop["default"]; ok {
				v, given = d, true
			}
		}
		if !given || v == nil {
			if slices.Contains(required(schema), name) {
				return nil, apperr.Invalid("parameters."+name, "%s is required.", name)
			}
			continue
		}
		val, err := checkValue(name, prop, v)
		if err != nil {
			return nil, err
		}
		out[name] = val
	}
	return out, nil
}

// required lists the schema's required properties.
func required(schema map[string]any) []string {
	var out []string
	switch r := schema["required"].(type) {
	case []string:
		out = r
	case []any:
		for _, v := range r {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// checkValue checks one parameter's value against its property schema.
func checkValue(name string, prop map[string]any, v any) (any, error) {
	field := "parameters." + name
	typ, _ := prop["type"].(string)
	switch typ {
	case "string":
		s, ok := v.(string)
		if !ok {
			return nil, apperr.Invalid(field, "%s must be a string.", name)
		}
		return s, nil
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, apperr.Invalid(field, "%s must be true or false.", name)
		}
		return b, nil
	case "number", "integer":
		f, ok := number(v)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, apperr.Invalid(field, "%s must be a number.", name)
		}
		if typ == "integer" && f != math.Trunc(f) {
			return nil, apperr.Invalid(field, "%s must be a whole number.", name)
		}
		if lo, ok := number(prop["minimum"]); ok && f < lo {
			return nil, apperr.Invalid(field, "%s must be at least %s.", name, format(lo))
		}
		if hi, ok := number(prop["maximum"]); ok && f > hi {
			return nil, apperr.Invalid(field, "%s must be at most %s.", name, format(hi))
		}
		if lo, ok := number(prop["exclusiveMinimum"]); ok && f <= lo {
			return nil, apperr.Invalid(field, "%s must be more than %s.", name, format(lo))
		}
		if typ == "integer" {
			if math.Abs(f) > 1<<53 {
				return nil, apperr.Invalid(field, "%s is too large.", name)
			}
			return int64(f), nil
		}
		return f, nil
	}
	return nil, apperr.Invalid(field, "%s has a type this server does not know.", name)
}

// number reads a JSON number in any of the forms decoders produce.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// format writes a bound without a needless fraction.
func format(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
