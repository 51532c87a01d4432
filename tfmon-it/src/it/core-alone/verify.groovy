// issue 17: what a project that depends on tfmon-core alone gets.
def deps = new File(basedir, 'dependencies.txt').text
assert deps.contains('org.tensorflow:tensorflow-core-api:jar:1.1.0:compile') : deps
assert deps.contains('org.tensorflow:tensorflow-framework:jar:1.1.0:compile') : deps
// No native library (a classified tensorflow-core-native): the application picks its platform's.
assert !(deps =~ /tensorflow-core-native:jar:[a-z]/) : deps

// The module path cannot hold tfmon-core: org.tensorflow.TfmonBridge shares TF Java's package
// (it needs package-private access), and the module system forbids a package in two modules.
def jars = deps.readLines().findAll { it.contains(':compile:') }
    .collect { it.replaceFirst(/ -- module .*/, '') }.collect { it.substring(it.lastIndexOf(':') + 1).trim() }
assert jars.size() >= 6 : deps
def java = new File(System.getProperty('java.home'), 'bin/java').path
def command = [java, '--module-path', jars.join(File.pathSeparator), '--add-modules', 'ALL-MODULE-PATH',
               '-m', 'tfmon.core/dev.tfmon.cluster.TaskServerMain']
// The JVM reports a boot layer failure on standard output.
def process = new ProcessBuilder(command).redirectErrorStream(true).start()
def err = process.inputStream.text
process.waitFor()
assert process.exitValue() != 0 : err
// The JVM words the conflict in one of two ways, naming the modules in either order, depending on
// which module it resolves first (it varies from run to run): "Module A contains package
// org.tensorflow, module B exports package org.tensorflow to C" or "Modules A and B export package
// org.tensorflow to module C".
def both = /(tfmon\.core|tensorflow)/
assert (err =~ /ResolutionException: Module ${both} contains package org\.tensorflow, module ${both} exports package org\.tensorflow/) ||
       (err =~ /ResolutionException: Modules ${both} and ${both} export package org\.tensorflow to module /) : err
return true
