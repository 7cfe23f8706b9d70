import Glibc
import HeadroomCLI

exit(Headroom.main(Array(CommandLine.arguments.dropFirst())))
