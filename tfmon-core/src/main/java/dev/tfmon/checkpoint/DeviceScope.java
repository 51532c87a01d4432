package dev.tfmon.checkpoint;

import org.tensorflow.DeviceSpec;
import org.tensorflow.ExecutionEnvironment;
import org.tensorflow.Operation;
import org.tensorflow.OperationBuilder;
import org.tensorflow.op.Scope;

/**
 * A scope that pins every op it builds to a device given as a TensorFlow device string. TF Java's
 * {@code GraphOperationBuilder.build()} applies its scope's device last, so a {@code setDevice}
 * call made before {@code build()} is overwritten; this scope applies the wanted device instead.
 */
final class DeviceScope implements Scope {
  private final Scope base;
  private final String device;

  DeviceScope(Scope base, String device) {
    this.base = base;
    this.device = device;
  }

  @Override
  public ExecutionEnvironment env() {
    return base.env();
  }

  @Override
  public Scope withSubScope(String childScopeName) {
    return new DeviceScope(base.withSubScope(childScopeName), device);
  }

  @Override
  public Scope withName(String opName) {
    return new DeviceScope(base.withName(opName), device);
  }

  @Override
  public Scope withNameAsSubScope(String defaultName) {
    return new DeviceScope(base.withNameAsSubScope(defaultName), device);
  }

  @Override
  public Scope withDevice(DeviceSpec newDevice) {
    return base.withDevice(newDevice);
  }

  @Override
  public Scope withInitScope() {
    return new DeviceScope(base.withInitScope(), device);
  }

  @Override
  public String makeOpName(String defaultName) {
    return base.makeOpName(defaultName);
  }

  @Override
  public String makeUnique(String id) {
    return base.makeUnique(id);
  }

  @Override
  public void refreshNames() {
    base.refreshNames();
  }

  @Override
  public Scope withControlDependencyOps(Iterable<Operation> controls) {
    return new DeviceScope(base.withControlDependencyOps(controls), device);
  }

  @Override
  public OperationBuilder apply(OperationBuilder builder) {
    base.apply(builder);
    builder.setDevice(device);
    return builder;
  }

  @Override
  public String getDeviceString() {
    return device;
  }

  @Override
  public boolean isInit() {
    return base.isInit();
  }
}
