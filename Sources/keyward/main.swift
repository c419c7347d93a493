import Foundation

// `keyward serve` runs the server and `keyward builtin` maintains its key file; every other command is a
// client of its API.
let arguments = Array(CommandLine.arguments.dropFirst())
let exitCode: Int32
if arguments.first == "serve" {
    exitCode = ServeCommand.run(Array(arguments.dropFirst()))
} else if arguments.first == "builtin" {
    exitCode = BuiltinCommand.run(Array(arguments.dropFirst()))
} else {
    exitCode = await CLI.run(arguments)
}
exit(exitCode)
