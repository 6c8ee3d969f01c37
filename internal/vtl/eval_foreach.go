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

// #foreach, over a list or a map's values, or over an array or object of the body read
// off its tape.

// foreachScope is $foreach inside a loop.
type foreachScope struct {
	index   int64
	hasNext bool
	parent  any
	watch   tapeWatch // a loop over a container of the body: see tapeDoc.watch
}

func (e *evaluator) foreach(n *foreachNode) (ctl, error) {
	it, err := e.eval(n.iter)
	if err != nil {
		return ctlNone, err
	}
	// The items: a real list's (or map's values), or a tape array's (or object's values)
	// read off the tape one at a time, from entry k on.
	var items []any
	var doc *tapeDoc
	var k int32
	var watch *tapeWatch
	count := 0
	var scope *foreachScope
	if tn, ok := it.(*tapeNode); ok {
		if r := tn.real(); r != nil || tn.entry().dup {
			it = tn.resolve()
		} else {
			doc, k, count = tn.d, tn.i+1, int(tn.entry().n)
			scope = &foreachScope{}
			watch = &scope.watch
			doc.watch(watch, tn.entry().b)
			defer doc.unwatch()
		}
	}
	if doc == nil {
		switch x := it.(type) {
		case *List:
			items = x.Items
		case *Map:
			items = x.vals // Velocity iterates a map's values
		case *contextObj:
			items = x.base.vals
		default:
			return ctlNone, nil // null and non-iterables: no iterations, as Velocity
		}
		count = len(items)
	}
	if count == 0 {
		return ctlNone, nil
	}
	object := doc != nil && doc.t.ents[k-1].kind == entObject
	saved := [4]any{e.vars[n.slot], e.vars[slotForeach], e.vars[slotVelocityCount], e.vars[slotVelocityHasNext]}
	defer func() {
		e.vars[n.slot], e.vars[slotForeach], e.vars[slotVelocityCount], e.vars[slotVelocityHasNext] = saved[0], saved[1], saved[2], saved[3]
	}()
	var run *runNode
	if len(n.body) == 1 {
		run, _ = n.body[0].(*runNode)
	}
	if scope == nil {
		scope = &foreachScope{}
	}
	scope.parent = saved[1]
	e.vars[slotForeach] = scope
	for i := 0; i < count; i++ {
		if i >= e.opts.MaxIterations {
			return ctlNone, e.errf(n.off, KindLimit, "#foreach over more than %d items", e.opts.MaxIterations)
		}
		var item any
		if doc != nil && watch.set {
			// The loop's body materialised what it iterates (to change it): go on over the
			// items the new value had then, as a loop over ParseJSON's value goes on over
			// the slice it started with (seeing what is set in place, not what is added).
			items, doc = watch.items, nil
		}
		if doc != nil {
			if object {
				k++ // past the key
			} else if n.flat != nil {
				// The items loopItems prints; it leaves the next to this loop.
				if k2, i2 := e.loopItems(n.flat, doc, k, i, count, min(count, e.opts.MaxIterations)); i2 > i {
					k, i = k2, i2-1
					continue
				}
			}
			if en := &doc.t.ents[k]; (en.kind == entObject || en.kind == entArray) && doc.mat == nil {
				// value's usual case, inline: a container nothing materialised, its node
				// stored once.
				item = doc.node(k, en.b)
				k = int32(en.a)
			} else {
				item = doc.value(k)
				k = doc.t.next(k)
			}
		} else {
			item = items[i]
		}
		scope.index = int64(i)
		scope.hasNext = i+1 < count
		e.vars[n.slot] = item
		// Each store of a value into vars pays a write barrier while the collector marks:
		// the Velocity 1.x names are stored only for a template that reads them.
		if e.t.velocityVars {
			e.vars[slotVelocityCount] = int64(i + 1)
			e.vars[slotVelocityHasNext] = scope.hasNext
		}
		var c ctl
		if run != nil {
			// nodes, for a body that is one run (which never breaks nor stops): its step,
			// inline, and the run, as run prints it (a call less per item).
			if !e.tick() {
				err = e.step(run.offset())
			}
			if err == nil {
				batch := e.batch(run)
				if i := e.runPieces(run.pieces, 0, batch); i < len(run.pieces) {
					err = e.runRest(run, i, batch)
				}
			}
		} else {
			c, err = e.nodes(n.body)
		}
		if err != nil {
			return ctlNone, err
		}
		if c == ctlBreak {
			break
		}
		if c == ctlStop {
			return c, nil
		}
	}
	return ctlNone, nil
}
