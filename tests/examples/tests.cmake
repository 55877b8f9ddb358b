# The example recipes for real models (configs/examples/) plan within their stated GPUs (label examples:
# `r1 plan` only, a second or two).
add_test(NAME examples.plans
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_example_plans.sh $<TARGET_FILE:r1> ${PROJECT_SOURCE_DIR})
set_tests_properties(examples.plans PROPERTIES LABELS examples ENVIRONMENT "${R1_TEST_ENV}")
