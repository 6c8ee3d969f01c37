package compile

// Compile compiles inputs. It is pure: the same inputs give the same output.
func Compile(in Inputs) Output {
	return Output{}
}
