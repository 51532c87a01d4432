package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.graph.VariableChecks;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.NoOp;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

class ScaffoldTest {

  // Scenario MST-001.
  @Test
  void nothingIsCreatedBeforeFinalize_MST001() {
    try (Graph g = new Graph()) {
      Scaffold s = Scaffold.of(g);
      assertThat(s.initOp()).isNull();
      assertThat(s.initFeeds()).isNull();
      assertThat(s.initFn()).isNull();
      assertThat(s.readyOp()).isNull();
      assertThat(s.readyForLocalInitOp()).isNull();
      assertThat(s.localInitOp()).isNull();
      assertThat(s.saver()).isNull();
      assertThat(g.operations().hasNext()).isFalse();
    }
  }

  // Scenario MST-003.
  @Test
  void defaultsAreCreatedWithoutVariables_MST003() {
    try (Graph g = new Graph()) {
      Ops.create(g).withName("my_const").constant(1);
      Scaffold s = Scaffold.of(g).finalizeScaffold();
      assertThat(s.initOp()).isNotNull();
      assertThat(s.initFeeds()).isNull();
      assertThat(s.initFn()).isNull();
      assertThat(s.readyOp()).isNotNull();
      assertThat(s.readyForLocalInitOp()).isNotNull();
      assertThat(s.localInitOp()).isNotNull();
      assertThat(s.localInitFeeds()).isNull();
      // Python builds a saver with allow_empty=True that saves and restores nothing; tfmon has no
      // saver at all when there is nothing to save (a documented difference).
      assertThat(s.saver()).isNull();
      try (NativeSession session = NativeSession.open(g)) {
        assertThat(SessionManager.ready(s.readyOp(), session)).isEmpty();
      }
    }
  }

  // Scenario MST-004.
  @Test
  void defaultsAreBuiltOncePerGraphAndShared_MST004() {
    try (Graph g = new Graph()) {
      Ops.create(g).withName("my_var").variable(Ops.create(g).constant(1f));
      Scaffold a = Scaffold.of(g).finalizeScaffold();
      GraphFinalization.unfinalize(g);
      Scaffold b = Scaffold.of(g).finalizeScaffold();
      assertThat(b.initOp()).isEqualTo(a.initOp());
      assertThat(b.readyOp()).isEqualTo(a.readyOp());
      assertThat(b.readyForLocalInitOp()).isEqualTo(a.readyForLocalInitOp());
      assertThat(b.localInitOp()).isEqualTo(a.localInitOp());
      assertThat(b.saver().saverDef()).isEqualTo(a.saver().saverDef());
    }
  }

  // Scenario MST-006, MST-008.
  @Test
  void passedValuesAreKept_MST006_andCopiedFrom_MST008() {
    try (Graph g = new Graph();
        TFloat32 fed = TFloat32.scalarOf(1f)) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> v = tf.withName("my_var").variable(tf.constant(1f));
      var p = tf.withName("p").placeholderWithDefault(tf.constant(0f), org.tensorflow.ndarray.Shape.scalar());
      Saver saver = Saver.builder(g).build();
      NoOp init = tf.withName("my_init").noOp();
      NoOp localInit = tf.withName("my_local_init").noOp();
      var ready = VariableChecks.reportUninitialized(g, List.of(v.asOutput()));
      var readyForLocal = VariableChecks.reportUninitialized(g, List.of());
      AtomicInteger calls = new AtomicInteger();
      BiConsumer<Scaffold, NativeSession> initFn = (sc, session) -> calls.incrementAndGet();
      Scaffold defaults = Scaffold.of(g);
      Scaffold s =
          Scaffold.builder(g)
              .initOp(init)
              .initFeed(p, fed)
              .initFn(initFn)
              .readyOp(ready)
              .readyForLocalInitOp(readyForLocal)
              .localInitOp(localInit)
              .localInitFeed(p, fed)
              .saver(saver)
              .copyFrom(defaults)
              .build()
              .finalizeScaffold();
      assertThat(s.initOp()).isEqualTo(init.op());
      assertThat(s.initFeeds()).containsEntry(p.asOutput(), fed);
      assertThat(s.initFn()).isSameAs(initFn);
      assertThat(s.readyOp()).isEqualTo(ready);
      assertThat(s.readyForLocalInitOp()).isEqualTo(readyForLocal);
      assertThat(s.localInitOp()).isEqualTo(localInit.op());
      assertThat(s.localInitFeeds()).containsEntry(p.asOutput(), fed);
      assertThat(s.saver()).isSameAs(saver);
      s.initFn().accept(s, null);
      assertThat(calls).hasValue(1);

      // A scaffold copying from one that had these values gets them too.
      GraphFinalization.unfinalize(g);
      Scaffold copy = Scaffold.builder(g).copyFrom(s).build();
      assertThat(copy.initOp()).isEqualTo(init.op());
      assertThat(copy.saver()).isSameAs(saver);
      assertThat(copy.initFn()).isSameAs(initFn);
    }
  }

  // Scenario MST-007.
  @Test
  void finalizeFinalizesTheGraph_MST007() {
    try (Graph g = new Graph()) {
      Ops.create(g).withName("my_var").variable(Ops.create(g).constant(1f));
      Scaffold.of(g).finalizeScaffold();
      assertThat(GraphFinalization.isFinalized(g)).isTrue();
      assertThatThrownBy(() -> GlobalStep.create(g))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("Graph is finalized and cannot be modified");
      assertThatThrownBy(() -> VariableChecks.reportUninitialized(g, List.of()))
          .hasMessageContaining("Graph is finalized and cannot be modified");
    }
  }

  @Test
  void aSecondCandidateInACollectionIsAnError() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      dev.tfmon.graph.GraphCollections c = dev.tfmon.graph.GraphCollections.of(g);
      c.add(dev.tfmon.graph.CollectionKeys.INIT_OP, tf.withName("a").noOp().op());
      c.add(dev.tfmon.graph.CollectionKeys.INIT_OP, tf.withName("b").noOp().op());
      assertThatThrownBy(() -> Scaffold.of(g).finalizeScaffold())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "the Scaffold cannot choose its initOp: collection 'init_op' holds 2 items; give the one"
                  + " to use to Scaffold.builder(graph).initOp(...)");
    }
  }

  @Test
  void readyOpNamesUninitializedVariables() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> a = tf.withName("a").variable(org.tensorflow.ndarray.Shape.scalar(), TFloat32.class);
      Variable<TFloat32> b = tf.withName("b").variable(org.tensorflow.ndarray.Shape.scalar(), TFloat32.class);
      var initA = tf.assign(a, tf.constant(1f));
      var ready = VariableChecks.reportUninitialized(g, List.of(a.asOutput(), b.asOutput()));
      try (NativeSession s = NativeSession.open(g)) {
        assertThat(SessionManager.ready(ready, s)).contains("Variables not initialized: a, b");
        s.runner().addTarget(initA).run().close();
        assertThat(SessionManager.ready(ready, s)).contains("Variables not initialized: b");
        try (var r = s.runner().fetch(ready).run()) {
          assertThat(((TString) r.get(0)).getObject(0)).isEqualTo("b");
        }
      }
    }
  }

  // issue 11 item 17: a default Scaffold on a graph an earlier Scaffold finalized, with no summary
  // in it, builds fine: the default summary op is "none", so nothing has to be added.
  @Test
  void aSecondDefaultScaffoldOnAFinalizedGraphWithoutSummariesBuilds() {
    try (Graph g = new Graph()) {
      Ops.create(g).withName("v").variable(Ops.create(g).constant(1f));
      Scaffold first = Scaffold.of(g).finalizeScaffold();
      assertThat(GraphFinalization.isFinalized(g)).isTrue();
      Scaffold second = Scaffold.of(g).finalizeScaffold();
      assertThat(second.summaryOp()).isNull();
      assertThat(second.initOp()).isEqualTo(first.initOp());
      assertThat(second.readyOp()).isEqualTo(first.readyOp());
      assertThat(second.localInitOp()).isEqualTo(first.localInitOp());
      assertThat(second.saver()).isNotNull();
      GraphFinalization.unfinalize(g);
    }
  }

  // issue 11 item 17: where a default op would really be created, a finalized graph still refuses.
  @Test
  void aDefaultThatMustBeCreatedOnAFinalizedGraphIsStillRefused() {
    try (Graph g = new Graph()) {
      Ops.create(g).withName("v").variable(Ops.create(g).constant(1f));
      GraphFinalization.finalizeGraph(g);
      assertThatThrownBy(() -> Scaffold.of(g).finalizeScaffold())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith(
              "Graph is finalized and cannot be modified: cannot add the Scaffold's default initOp");
      GraphFinalization.unfinalize(g);
    }
  }
}
