// issue 17: the README's pom and program, built against the installed tfmon-core, trained for real.
def log = new File(basedir, 'build.log').text
def dir = new File(basedir, 'runs/mine')
assert new File(dir, 'checkpoint').text.contains('model_checkpoint_path: "model.ckpt-1000"') : log
assert new File(dir, 'model.ckpt-1000.index').isFile()
assert dir.listFiles().any { it.name.startsWith('events.out.tfevents.') }
// the fit: w and b read back from the checkpoint
assert log =~ /runs\/mine\/model\.ckpt-1000: w = 3\.000, b = 2\.000/ : log
// slf4j-simple shows the library's INFO logs (LoggingTensorHook, the checkpoint saver)
assert log =~ /INFO dev\.tfmon\.hook\.LoggingTensorHook - loss = / : log
return true
