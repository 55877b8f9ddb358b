# Real-Slurm test (label slurm): a private one-node Slurm cluster on localhost (munged, slurmctld,
# slurmd from Debian's slurm-wlm and munge packages) runs the job scripts in jobs/: a requeued run
# that must end bit-identical to an uninterrupted one, a chain of one job per stage, and a scaling
# study. Skipped (exit 77) when the packages are missing. It uses every core: run alone.
add_test(NAME slurm.test_slurm_jobs
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_slurm_jobs.sh $<TARGET_FILE:r1> ${PROJECT_SOURCE_DIR})
set_tests_properties(slurm.test_slurm_jobs PROPERTIES LABELS slurm SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
  TIMEOUT 900 ENVIRONMENT "${R1_TEST_ENV};R1_SLURM_TEST_DEADLINE_S=720")
