/*
Copyright 2026 The Portico Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package vtl

// The evaluator's short cuts for the body read onto a tape: what most templates spend
// their time on is printing $item.name inside a #foreach over an array of the body.

// refTape prints a reference of properties only ($x.a.b) whose variable is an object of
// the body, reading each step and the scalar at the end straight off the tape: no value is
// boxed, and neither walk nor prop is called. done is false, with nothing written, when the
// reference leaves what the tape answers alone (a variable that is not a tape node, a step
// through an array, a container materialised as a *Map, an object with a repeated key, a
// container at the end); evaluator.ref then answers it, as it would have.
func (e *evaluator) refTape(n *refNode) (done bool, err error) {
	tn, ok := e.vars[n.ref.slot].(*tapeNode)
	if !ok {
		return false, nil
	}
	d, i := tn.d, tn.i
	t := d.t
	for p := range n.ref.parts {
		en := &t.ents[i]
		if en.kind != entObject || en.dup || (d.mat != nil && d.mat[en.b] != nil) {
			return false, nil
		}
		part := &n.ref.parts[p]
		if i = t.fieldKey(i, &part.key, &part.hint); i < 0 {
			return true, e.refNull(n)
		}
	}
	if t.ents[i].kind == entNull {
		return true, e.refNull(n)
	}
	return e.writeEntry(n.off, t, i)
}

// refNull prints a reference that resolved to null: nothing, or its source text.
func (e *evaluator) refNull(n *refNode) error {
	if n.quiet || !e.opts.LiteralNulls {
		return nil
	}
	return e.write(n.off, n.raw)
}
