/**
 * Typed TensorFlow errors: one unchecked exception per TensorFlow status code, all sharing {@link
 * dev.tfmon.errors.TensorFlowStatusException}, which keeps the exact {@link
 * dev.tfmon.errors.StatusCode} and TensorFlow's full message.
 */
package dev.tfmon.errors;
