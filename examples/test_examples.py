"""Tests of the example scripts, run as the pods run them: as subprocesses with cwd=examples/.

    cd examples && python3 -m unittest test_examples -v      (or: python3 examples/test_examples.py)

Standard library only; takes a few seconds.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import train  # noqa: E402  (for the hp-file parser unit tests)

# Variables the scripts read; cleared so the tests do not depend on the caller's environment.
SCRIPT_VARS = ["MODEL_DIR", "HP_FILE", "TRAIN_EPOCHS", "TRAIN_MODEL", "TRAIN_LR", "TRAIN_HIDDEN", "TRAIN_SEED"]
DEFAULT_HP_PRESENT = os.path.exists(train.DEFAULT_HP_FILE)


def run(script, *args, env=None, timeout=30):
    full_env = {k: v for k, v in os.environ.items() if k not in SCRIPT_VARS}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, script] + [str(a) for a in args],
        cwd=HERE, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def metric(output, name):
    """The value of the last line that is exactly `name=<number>`."""
    values = re.findall(r"^%s=([0-9.eE+-]+)$" % re.escape(name), output, re.M)
    if not values:
        raise AssertionError("no %s= line in output:\n%s" % (name, output))
    return float(values[-1])


class ExampleTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="drover-examples-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def assertRan(self, proc, rc=0):
        self.assertEqual(proc.returncode, rc, "exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s"
                         % (proc.returncode, rc, proc.stdout, proc.stderr))


class TrainTest(ExampleTestCase):
    def test_softmax_trains_saves_and_is_deterministic(self):
        model_dir = os.path.join(self.tmp, "model")  # created by train.py because it is explicit
        p = run("train.py", 5, "softmax", 0.5, env={"MODEL_DIR": model_dir})
        self.assertRan(p)
        acc = metric(p.stdout, "accuracy")
        loss = metric(p.stdout, "loss")
        self.assertGreater(acc, 0.85)
        self.assertLess(acc, 1.0)
        self.assertLess(loss, 0.5)
        self.assertEqual(len(re.findall(r"^epoch=\d+ loss=\S+ accuracy=\S+", p.stdout, re.M)), 5)
        self.assertIn("epochs: 5", p.stdout)
        self.assertIn("(command line)", p.stdout)
        with open(os.path.join(model_dir, "model.json")) as f:
            first = f.read()
        doc = json.loads(first)
        self.assertEqual((doc["model"], doc["epochs"], doc["lr"]), ("softmax", 5, 0.5))
        self.assertAlmostEqual(doc["accuracy"], acc, places=4)

        again = run("train.py", 5, "softmax", 0.5, env={"MODEL_DIR": model_dir})
        self.assertRan(again)
        self.assertEqual(metric(again.stdout, "accuracy"), acc)
        with open(os.path.join(model_dir, "model.json")) as f:
            self.assertEqual(f.read(), first)

    def test_mlp_trains(self):
        p = run("train.py", 8, "mlp", 0.3, "--hidden", 16, env={"MODEL_DIR": self.tmp})
        self.assertRan(p)
        self.assertGreater(metric(p.stdout, "accuracy"), 0.85)
        with open(os.path.join(self.tmp, "model.json")) as f:
            doc = json.load(f)
        self.assertEqual((doc["model"], doc["hidden"]), ("mlp", 16))
        self.assertEqual(len(doc["params"]["W1"]), 16)

    def test_learning_rate_matters(self):
        small = run("train.py", 5, "softmax", 0.001, env={"MODEL_DIR": self.tmp})
        self.assertRan(small)
        self.assertLess(metric(small.stdout, "accuracy"), 0.85)

    def test_unusable_model_dir_exits_1(self):
        a_file = os.path.join(self.tmp, "file")
        open(a_file, "w").close()
        p = run("train.py", 1, env={"MODEL_DIR": a_file})
        self.assertRan(p, 1)
        self.assertIn("not a directory", p.stderr)
        p = run("train.py", 1, env={"MODEL_DIR": os.path.join(a_file, "sub")})
        self.assertRan(p, 1)
        self.assertIn("cannot be created", p.stderr)

    def test_bad_arguments_exit_2(self):
        p = run("train.py", 1, "cnn", 0.1, env={"MODEL_DIR": self.tmp})
        self.assertRan(p, 2)
        self.assertIn("must be softmax or mlp", p.stderr)
        p = run("train.py", "five", env={"MODEL_DIR": self.tmp})
        self.assertRan(p, 2)


class HyperparameterTest(ExampleTestCase):
    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_parse_flat_yaml(self):
        text = "# experiment\n---\nepochs: 8\nmodel: 'mlp'  # quoted\nlr: \"0.3\"\nhidden: 16\n\nnote: a # b\n"
        self.assertEqual(train.parse_flat_yaml(text),
                         {"epochs": "8", "model": "mlp", "lr": "0.3", "hidden": "16", "note": "a"})
        with self.assertRaises(train.UsageError):
            train.parse_flat_yaml("model:\n  name: mlp\n")
        with self.assertRaises(train.UsageError):
            train.parse_flat_yaml("just a line\n")

    def test_hp_file_then_env_then_command_line(self):
        hp = self.write("exp.yaml", "epochs: 3\nmodel: mlp\nlr: 0.3\nhidden: 8\nseed: 5\nunknown: 1\n")
        p = run("train.py", "--hp", hp, env={"MODEL_DIR": self.tmp, "TRAIN_LR": "0.2"})
        self.assertRan(p)
        out = p.stdout
        self.assertIn("hyperparameter file: %s" % hp, out)
        self.assertRegex(out, r"epochs: 3 +\(file %s\)" % re.escape(hp))
        self.assertRegex(out, r"model: +mlp +\(file ")
        self.assertRegex(out, r"hidden: 8 +\(file ")
        self.assertRegex(out, r"lr: +0.2 +\(env TRAIN_LR\)")
        self.assertIn("ignoring unknown key 'unknown'", out)
        self.assertEqual(len(re.findall(r"^epoch=", out, re.M)), 3)

        # The command line beats both.
        p = run("train.py", 2, "softmax", "--hp", hp, env={"MODEL_DIR": self.tmp, "TRAIN_LR": "0.2"})
        self.assertRan(p)
        self.assertRegex(p.stdout, r"epochs: 2 +\(command line\)")
        self.assertRegex(p.stdout, r"model: +softmax +\(command line\)")
        self.assertRegex(p.stdout, r"lr: +0.2 +\(env TRAIN_LR\)")

    def test_configmap_file_via_hp_file_env_and_show_env(self):
        # What job-hp.yaml does: the ConfigMap's exp.yaml, TRAIN_SEED from a ConfigMap key.
        hp = self.write("exp.yaml", "epochs: 8\nmodel: mlp\nlr: 0.3\nhidden: 16\n")
        p = run("show_env.py", "train.py", env={
            "MODEL_DIR": self.tmp, "HP_FILE": hp, "TRAIN_SEED": "7",
            "POD_NAME": "train-hp-abcde", "POD_NAMESPACE": "default", "API_TOKEN": "s3cr3t-token",
        })
        self.assertRan(p)
        for line in ("POD_NAME=train-hp-abcde", "POD_NAMESPACE=default", "API_TOKEN=s3cr3t-token",
                     "TRAIN_SEED=7", "DATASET=<unset>"):
            self.assertIn(line + "\n", p.stdout)
        self.assertRegex(p.stdout, r"seed: +7 +\(env TRAIN_SEED\)")
        self.assertEqual(len(re.findall(r"^epoch=", p.stdout, re.M)), 8)
        self.assertGreater(metric(p.stdout, "accuracy"), 0.85)

    def test_json_hp_file(self):
        hp = self.write("exp.json", json.dumps({"epochs": 2, "model": "softmax", "lr": 0.1}))
        p = run("train.py", env={"MODEL_DIR": self.tmp, "HP_FILE": hp})
        self.assertRan(p)
        self.assertRegex(p.stdout, r"lr: +0.1 +\(file ")
        self.assertEqual(len(re.findall(r"^epoch=", p.stdout, re.M)), 2)

    def test_bad_or_missing_hp_file_exits_2(self):
        p = run("train.py", "--hp", self.write("bad.yaml", "epochs: many\n"), env={"MODEL_DIR": self.tmp})
        self.assertRan(p, 2)
        self.assertIn("epochs", p.stderr)
        p = run("train.py", env={"MODEL_DIR": self.tmp, "HP_FILE": os.path.join(self.tmp, "missing.yaml")})
        self.assertRan(p, 2)
        self.assertIn("does not exist", p.stderr)

    @unittest.skipIf(DEFAULT_HP_PRESENT, "%s exists on this machine" % train.DEFAULT_HP_FILE)
    def test_defaults_without_hp_file(self):
        p = run("train.py", 1, env={"MODEL_DIR": self.tmp})
        self.assertRan(p)
        self.assertIn("hyperparameter file: none", p.stdout)
        self.assertRegex(p.stdout, r"model: +softmax +\(default\)")


class EvaluateTest(ExampleTestCase):
    def test_evaluate_reads_the_model(self):
        self.assertRan(run("train.py", 5, "softmax", 0.5, env={"MODEL_DIR": self.tmp}))
        p = run("evaluate.py", env={"MODEL_DIR": self.tmp})
        self.assertRan(p)
        self.assertIn("model: softmax from %s" % os.path.join(self.tmp, "model.json"), p.stdout)
        acc = metric(p.stdout, "accuracy")
        self.assertGreater(acc, 0.85)
        self.assertLess(acc, 1.0)
        metric(p.stdout, "loss")

    def test_missing_model_exits_1(self):
        p = run("evaluate.py", env={"MODEL_DIR": os.path.join(self.tmp, "nothing")})
        self.assertRan(p, 1)
        self.assertIn("no model at", p.stderr)

    def test_corrupt_model_exits_1(self):
        with open(os.path.join(self.tmp, "model.json"), "w") as f:
            f.write("{not json")
        p = run("evaluate.py", env={"MODEL_DIR": self.tmp})
        self.assertRan(p, 1)
        self.assertIn("cannot read the model", p.stderr)


class OtherScriptsTest(ExampleTestCase):
    def test_sleep_cpu(self):
        p = run("sleep_cpu.py", 0.2)
        self.assertRan(p)
        start, end = metric(p.stdout, "start"), metric(p.stdout, "end")
        self.assertGreaterEqual(end - start, 0.2)
        p = run("sleep_cpu.py", 0.1, "--sleep")
        self.assertRan(p)
        self.assertRan(run("sleep_cpu.py"), 2)

    def test_oom_allocates_and_reports(self):
        p = run("oom.py", 20, 60)  # capped: stops by itself after 60 MB
        self.assertRan(p)
        self.assertEqual(re.findall(r"^holding (\d+) MB", p.stdout, re.M), ["20", "40", "60"])

    def test_gpu_info(self):
        p = run("gpu_info.py", env={"CUDA_VISIBLE_DEVICES": "1"})
        self.assertRan(p)
        self.assertIn("CUDA_VISIBLE_DEVICES=1\n", p.stdout)


class ManifestTest(unittest.TestCase):
    """Without a YAML parser: checks that every valid manifest runs a script that exists here."""

    def test_commands_name_existing_scripts(self):
        manifests = sorted(f for f in os.listdir(HERE) if f.startswith("job-") and f.endswith(".yaml"))
        self.assertIn("job-train.yaml", manifests)
        for name in manifests:
            if name.startswith("job-bad-"):
                continue
            with open(os.path.join(HERE, name)) as f:
                text = f.read()
            commands = re.findall(r"^\s*command: \[python, ([\w.]+\.py)", text, re.M)
            self.assertTrue(commands, "%s has no `command: [python, SCRIPT.py ...]`" % name)
            for script in commands:
                self.assertTrue(os.path.isfile(os.path.join(HERE, script)), "%s runs missing %s" % (name, script))
            self.assertIn("image: python:3.11-slim", text)
            self.assertNotIn("namespace:", text, "%s should land in the default namespace" % name)


if __name__ == "__main__":
    unittest.main()
