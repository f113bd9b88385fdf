package app_test

import (
	"strings"
	"testing"

	"github.com/omnify/bff/internal/app/apptest"
)

// TestEverySchemaElementIsDescribed keeps the contract readable in the
// playground: every type, field, argument, input field and enum value of
// ours has a description.
func TestEverySchemaElementIsDescribed(t *testing.T) {
	env := apptest.Start(t, dbs)
	var out struct {
		Schema struct {
			Types []struct {
				Kind, Name  string
				Description *string
				Fields      []struct {
					Name        string
					Description *string
					Args        []struct {
						Name        string
						Description *string
					}
				}
				InputFields []struct {
					Name        string
					Description *string
				}
				EnumValues []struct {
					Name        string
					Description *string
				}
			}
			Directives []struct {
				Name        string
				Description *string
			}
		} `json:"__schema"`
	}
	env.Client().MustData(t, `{ __schema {
		types { kind name description
			fields(includeDeprecated: true) { name description args { name description } }
			inputFields { name description }
			enumValues(includeDeprecated: true) { name description } }
		directives { name description } } }`, nil, &out)
	missing := func(d *string) bool { return d == nil || strings.TrimSpace(*d) == "" }
	var bad []string
	for _, ty := range out.Schema.Types {
		if strings.HasPrefix(ty.Name, "__") || ty.Name == "String" || ty.Name == "Int" || ty.Name == "Float" || ty.Name == "Boolean" || ty.Name == "ID" {
			continue
		}
		if missing(ty.Description) {
			bad = append(bad, ty.Name)
		}
		for _, f := range ty.Fields {
			if missing(f.Description) {
				bad = append(bad, ty.Name+"."+f.Name)
			}
			for _, a := range f.Args {
				if missing(a.Description) {
					bad = append(bad, ty.Name+"."+f.Name+"("+a.Name+")")
				}
			}
		}
		for _, f := range ty.InputFields {
			if missing(f.Description) {
				bad = append(bad, ty.Name+"."+f.Name)
			}
		}
		for _, v := range ty.EnumValues {
			if missing(v.Description) {
				bad = append(bad, ty.Name+"."+v.Name)
			}
		}
	}
	for _, d := range out.Schema.Directives {
		if d.Name != "skip" && d.Name != "include" && d.Name != "deprecated" && d.Name != "specifiedBy" && d.Name != "oneOf" && d.Name != "defer" && missing(d.Description) {
			bad = append(bad, "@"+d.Name)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d schema elements lack a description: %s", len(bad), strings.Join(bad, ", "))
	}
}
