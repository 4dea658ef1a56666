"""Tunes a small objective on a Drover server with Katib's Python SDK (KatibClient), as a data
scientist would against a cluster with Katib. Prints one JSON object of what it saw; the
end-to-end test (test/python-clients.e2e.test.ts) asserts on it.
"""
import json

from kubeflow.katib import KatibClient, models, search
from kubernetes import client

katib = KatibClient(namespace="default")
out = {}

container = client.V1Container(
    name="training",
    image="busybox",
    command=["sh", "-c", 'echo "loss=$(( (${trialParameters.x} - 3) * (${trialParameters.x} - 3) ))"'],
)
experiment = models.V1beta1Experiment(
    api_version="kubeflow.org/v1beta1",
    kind="Experiment",
    metadata=client.V1ObjectMeta(name="sdk-tune"),
    spec=models.V1beta1ExperimentSpec(
        max_trial_count=3,
        parallel_trial_count=1,
        objective=models.V1beta1ObjectiveSpec(type="minimize", objective_metric_name="loss"),
        algorithm=models.V1beta1AlgorithmSpec(algorithm_name="grid"),
        parameters=[
            models.V1beta1ParameterSpec(name="x", parameter_type="int", feasible_space=models.V1beta1FeasibleSpace(min="1", max="5")),
        ],
        trial_template=models.V1beta1TrialTemplate(
            primary_container_name="training",
            retain=True,
            trial_parameters=[models.V1beta1TrialParameterSpec(name="x", reference="x")],
            trial_spec={
                "apiVersion": "batch/v1",
                "kind": "Job",
                "spec": {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}},
            },
        ),
    ),
)
katib.create_experiment(experiment)
done = katib.wait_for_experiment_condition("sdk-tune", timeout=120, polling_interval=1)
out["succeeded"] = katib.is_experiment_succeeded("sdk-tune")
out["trials"] = len(katib.list_trials("sdk-tune"))
best = katib.get_optimal_hyperparameters("sdk-tune")
out["best"] = {a.name: a.value for a in best.parameter_assignments}
out["best_loss"] = [m.min for m in best.observation.metrics if m.name == "loss"][0]

katib.edit_experiment_budget("sdk-tune", max_trial_count=5)
katib.wait_for_experiment_condition("sdk-tune", timeout=120, polling_interval=1)
out["trials_after_budget"] = len(katib.list_trials("sdk-tune"))
best = katib.get_optimal_hyperparameters("sdk-tune")
out["best_after_budget"] = {a.name: a.value for a in best.parameter_assignments}

# The Suggestion: what the algorithm was asked and answered, one assignment per trial.
suggestion = katib.get_suggestion("sdk-tune")
out["suggestion"] = {
    "algorithm": suggestion.spec.algorithm.algorithm_name,
    "requests": suggestion.spec.requests,
    "count": suggestion.status.suggestion_count,
    "names": sorted(s.name for s in suggestion.status.suggestions),
    "trials": sorted(t.metadata.name for t in katib.list_trials("sdk-tune")),
    "conditions": [c.type for c in suggestion.status.conditions if c.status == "True"],
}

trial = katib.list_trials("sdk-tune")[0].metadata.name
out["log"] = list(katib.get_job_logs("sdk-tune", trial))


# tune(): a Python objective, shipped by the SDK inside the trial's command.
def objective(parameters):
    x = float(parameters["x"])
    print(f"loss={(x - 3) ** 2}")


katib.tune(
    name="fn-tune",
    objective=objective,
    parameters={"x": search.double(min=0, max=6)},
    objective_metric_name="loss",
    objective_type="minimize",
    algorithm_name="random",
    max_trial_count=4,
    parallel_trial_count=2,
    base_image="python:3.11",
)
katib.wait_for_experiment_condition("fn-tune", timeout=120, polling_interval=1)
tuned = katib.get_optimal_hyperparameters("fn-tune")
out["tune_trials"] = len(katib.list_trials("fn-tune"))
out["tune_best_x"] = float(tuned.parameter_assignments[0].value)
out["tune_best_loss"] = float([m.min for m in tuned.observation.metrics if m.name == "loss"][0])
print(json.dumps(out))
