# shellcheck shell=bash
# Sourced by the bin/ launchers: finds a runnable jar and runs its main class with $JAVA_OPTS.
# The jar is looked up beside an installed layout (../lib) first, then in the build tree. The
# class is named on the command line (-cp JAR CLASS), not read from the jar's manifest (-jar):
# with -jar the JVM opens the jar twice, reading the directory of its 11,000 entries for the
# manifest and closing it before the class loader opens it again (3-9 ms of a command).
# A launcher's own JVM flags (an array), set after this file is sourced; none by default, and
# never from the environment.
jvm_flags=()
# The launcher's directory (it sources this file from beside it), absolute.
launcher_dir="${BASH_SOURCE[0]%/*}"
[[ "$launcher_dir" == /* ]] || launcher_dir="$PWD/$launcher_dir"
# For every launcher (each puts them in JAVA_OPTS): fewer of the JVM's own wake-ups, which are
# most of an idle daemon's CPU and a tenth of what a `minibit get` spends while it follows a
# download. No performance counters (sampled every 50 ms; jstat cannot read the JVM then, jcmd
# still can, and -XX:+UsePerfData in JAVA_OPTS turns them back on), and the VM thread's cleanup
# check and the deflation of idle monitors every 10 s instead of every second and every quarter
# second.
quiet_flags="-XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions \
-XX:GuaranteedSafepointInterval=10000 -XX:AsyncDeflationInterval=10000"

minibit_launch() {
  local jar_name="$1" module="$2" main_class="$3"
  shift 3
  local jar
  for jar in "$launcher_dir/../lib/$jar_name" "$launcher_dir/../$module/target/$jar_name"; do
    if [ -f "$jar" ]; then
      # A launcher that sets aot_cache=yes runs its jar on the JVM that made the AOT cache beside
      # it (Java 25 or later; scripts/daemon-cds.sh makes one where such a JVM is found), with
      # that cache: classes loaded and linked, and the methods compiled in training compiled as
      # soon as their class is initialized instead of after hundreds of interpreted calls. Only
      # when JAVA does not name another JVM, and only with a cache newer than its jar; that JVM
      # would refuse a class-data archive beside it, which is for the default one. Netty loads
      # its native transport, and Netty, gRPC and protobuf use sun.misc.Unsafe: both allowed
      # without a warning, as the default JVM allows them. A method C2 compiled in training (the
      # digests' block loop) goes to C2 at once (SkipTier2IfPossible): compiled early at C1's
      # counting tier instead, it could stay there, hashing at a tenth of the speed.
      local aot="${jar%.jar}.aot" aot_java=""
      # JAVA_OPTS that ask for a class-data archive (-Xshare, SharedArchiveFile) keep the default
      # JVM: the cache's JVM refuses both together.
      if [ "${aot_cache:-}" = yes ] && [ -z "${JAVA:-}" ] && [ -r "$aot" ] && [ "$aot" -nt "$jar" ] \
          && [[ "${JAVA_OPTS:-}" != *-Xshare* && "${JAVA_OPTS:-}" != *SharedArchiveFile* ]] \
          && read -r aot_java <"$aot.java" && [ -x "$aot_java" ]; then
        # shellcheck disable=SC2086 # JAVA_OPTS holds several words on purpose
        exec "$aot_java" -XX:AOTCache="$aot" -XX:+UnlockExperimentalVMOptions \
          -XX:+AOTCompileEagerly -XX:+UnlockDiagnosticVMOptions -XX:+SkipTier2IfPossible \
          -Xlog:disable -Xlog:all=error:stderr \
          --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
          ${jvm_flags[@]+"${jvm_flags[@]}"} ${JAVA_OPTS:-} -cp "$jar" "$main_class" "$@"
      fi
      # A class-data archive made at build time (see the Makefile) beside the jar spares the
      # JVM loading and verifying the same classes on every start. One older than its jar was
      # made from an earlier build and is left out: the JVM would refuse it and then start
      # without any archive, the JDK's own included. One that does not fit otherwise (a copied
      # jar) is dropped silently: only JVM errors are logged (to stderr). These come before
      # JAVA_OPTS, so that its own -Xlog or -XX:SharedArchiveFile still has its way.
      local cds=() archive="${jar%.jar}.jsa"
      if [ -r "$archive" ] && [ "$archive" -nt "$jar" ]; then
        cds=(-XX:SharedArchiveFile="$archive" -Xlog:disable -Xlog:all=error:stderr)
      elif [ -r "$archive" ] && [ -t 2 ]; then
        # Said to a person at a terminal only (a script's output stays the command's own): a
        # jar rebuilt by Maven alone starts at about twice the CPU, with no other sign of why.
        echo "${jar_name%.jar}: $archive is older than its jar and is left out (a slower" \
          "start); 'make archives' in the source tree makes it again" >&2
      fi
      # jvm_flags: a launcher's own flags, before JAVA_OPTS too.
      # shellcheck disable=SC2086 # JAVA_OPTS holds several words on purpose
      exec "${JAVA:-java}" "${cds[@]}" ${jvm_flags[@]+"${jvm_flags[@]}"} ${JAVA_OPTS:-} \
        -cp "$jar" "$main_class" "$@"
    fi
  done
  echo "${jar_name%.jar}: $jar_name not found; run 'make build' first" >&2
  exit 1
}
