{
  "targets": [
    {
      "target_name": "molab_native",
      "sources": ["molab_native.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions", "-ffp-contract=off"],
      "conditions": [
        ["OS=='linux'", {
          "cflags_cc": ["-march=native", "-fopenmp"],
          "ldflags": ["-fopenmp"],
          "libraries": ["-lopenblas"]
        }],
        ["OS=='mac'", {
          "defines": ["MOLAB_ACCELERATE", "ACCELERATE_NEW_LAPACK"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-ffp-contract=off"] },
          "libraries": ["-framework Accelerate"]
        }]
      ]
    }
  ]
}
